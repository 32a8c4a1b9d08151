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

import static io.restassured.RestAssured.given;

/**
 * Base of the end-to-end tests: the whole application on a random port, on the PostgreSQL
 * database the test script prepared. Every test makes its own data (random names and
 * identifiers), so tests never depend on each other or on order.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class EndToEndTest {

    public static final String FHIR_JSON = "application/fhir+json";

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @BeforeEach
    void pointRestAssuredAtServer() {
        RestAssured.port = port;
        RestAssured.basePath = "/fhir";
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    protected String baseUrl() {
        return "http://localhost:" + port + "/fhir";
    }

    /** FHIR bodies are UTF-8; REST Assured would otherwise declare ISO-8859-1. */
    protected static RequestSpecification fhir() {
        return given().contentType(FHIR_JSON + "; charset=UTF-8").accept(FHIR_JSON);
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
}
