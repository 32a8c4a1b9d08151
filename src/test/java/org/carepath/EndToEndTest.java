package org.carepath;

import java.util.UUID;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the end-to-end tests: the whole application on a random port, on the PostgreSQL
 * database the test script prepared. Every test makes its own data (random names and
 * identifiers), so tests never depend on each other or on order. Security is on: tokens come from
 * a real authorization server ({@link TestTokens}); {@link #fhir()} carries a {@code system/*.*}
 * token, and so does any other request that names no token.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class EndToEndTest {

    public static final String FHIR_JSON = "application/fhir+json";

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @Autowired
    private org.carepath.security.FhirSecurity security;

    /** The server under test trusts the test authorization server's tokens. */
    @DynamicPropertySource
    static void tokenIssuer(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", TestTokens::issuer);
        registry.add("carepath.cors.allowed-origins", () -> "https://patient-app.example.org");
    }

    @BeforeEach
    void pointRestAssuredAtServer() {
        RestAssured.port = port;
        RestAssured.basePath = "/fhir";
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        RestAssured.replaceFiltersWith(TestTokens.DEFAULT_TOKEN);
        // Earlier tests' AuditEvents are written in the background; let none land in this test's data.
        security.flushAuditTrail();
    }

    protected String baseUrl() {
        return "http://localhost:" + port + "/fhir";
    }

    /** FHIR bodies are UTF-8; REST Assured would otherwise declare ISO-8859-1. */
    protected static RequestSpecification fhir() {
        return fhirAs(TestTokens.SYSTEM);
    }

    /** A FHIR request with this access token. */
    protected static RequestSpecification fhirAs(String token) {
        return given().contentType(FHIR_JSON + "; charset=UTF-8").accept(FHIR_JSON)
                .header("Authorization", "Bearer " + token);
    }

    /** A FHIR request without any token. */
    protected static RequestSpecification anonymous() {
        return given().contentType(FHIR_JSON + "; charset=UTF-8").accept(FHIR_JSON)
                .header(TestTokens.ANONYMOUS_MARKER, "true");
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected static String patientJson(String family, String mrn) {
        return """
                {"resourceType":"Patient",
                 "identifier":[{"system":"urn:carepath:test:mrn","value":"%s"}],
                 "name":[{"family":"%s","given":["Test"]}],
                 "birthDate":"1970-05-01"}""".formatted(mrn, family);
    }

    /** Creates a patient and returns its id. */
    protected static String createPatient(String family, String mrn) {
        return fhir().body(patientJson(family, mrn)).post("/Patient")
                .then().statusCode(201).extract().path("id");
    }

    /** How many rows of any kind the database holds for resources of a type. */
    protected int storedCount(String type) {
        Integer n = jdbc.queryForObject("SELECT count(*) FROM resource WHERE res_type = ?", Integer.class, type);
        return n == null ? 0 : n;
    }

    /** $validate of the stored resource (its declared profiles included) finds no error. */
    protected static void assertConformsToItsProfiles(String reference) {
        String stored = fhir().get("/" + reference).then().statusCode(200).extract().asString();
        io.restassured.path.json.JsonPath outcome = fhir().body(stored).post("/" + reference + "/$validate").then().statusCode(200)
                .extract().jsonPath();
        assertThat(outcome.getList("issue.findAll { it.severity == 'error' || it.severity == 'fatal' }.diagnostics"))
                .as("%s conforms to its profiles", reference).isEmpty();
    }
}
