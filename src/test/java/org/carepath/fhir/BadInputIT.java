package org.carepath.fhir;

import java.util.stream.Stream;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.carepath.EndToEndTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Client errors get the right 4xx with an OperationOutcome saying what is wrong, reveal nothing
 * of the server's insides, and leave nothing behind.
 */
class BadInputIT extends EndToEndTest {

    static Stream<Arguments> badRequests() {
        String marker = "BadInputMarker";
        return Stream.of(
                Arguments.of("malformed JSON", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"", 400, "JSON"),
                Arguments.of("malformed XML", "POST", "/Patient", "application/fhir+xml",
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + marker + "\"/>", 400, "XML"),
                Arguments.of("wrong resourceType for the endpoint", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + marker + "\"}}",
                        400, "Observation"),
                Arguments.of("invalid code", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"gender\":\"robot\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "robot"),
                Arguments.of("invalid date", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-13-45\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "1970-13-45"),
                Arguments.of("unknown element", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"shoeSize\":42,\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "shoeSize"),
                Arguments.of("id in body differs from URL", "PUT", "/Patient/abc", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"xyz\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "xyz"),
                Arguments.of("update without id in body", "PUT", "/Patient/abc", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"}]}", 400, "ID"),
                Arguments.of("invalid id", "PUT", "/Patient/a_b", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"a_b\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "a_b"),
                Arguments.of("unsupported media type", "POST", "/Patient", "text/plain",
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"}]}", 415, "text/plain"),
                Arguments.of("XML with a DOCTYPE", "POST", "/Patient", "application/fhir+xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE Patient [<!ENTITY e \"" + marker + "\">]>"
                                + "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&e;\"/></name></Patient>",
                        400, "DOCTYPE"),
                Arguments.of("XML external entity", "POST", "/Patient", "application/fhir+xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                                + "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&xxe;\"/></name></Patient>",
                        400, "DOCTYPE"),
                Arguments.of("NUL character", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\\u0000x\"}]}", 400, "NUL"),
                Arguments.of("Bundle that is not a transaction", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}", 400, "transaction"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void isRefusedWithAnOperationOutcomeAndLeavesNothingBehind(String name, String method, String path,
                                                               String contentType, String body, int status,
                                                               String mentioned) {
        Response response = RestAssured.given().contentType(contentType).accept(FHIR_JSON).body(body)
                .request(method, path);
        response.then().statusCode(status)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].severity", equalTo("error"))
                .body("issue[0].diagnostics", containsString(mentioned));
        assertNoInternals(response.asString());
        fhir().get("/Patient?family=BadInputMarker").then().body("total", equalTo(0));
    }

    @Test
    void unknownResourceTypeIs404() {
        var response = fhir().get("/Banana/1");
        response.then().statusCode(404).body("resourceType", equalTo("OperationOutcome"));
        assertNoInternals(response.asString());
    }

    @Test
    void bodyDeclaredOverTheLimitIsRefusedWith413BeforeItIsRead() throws Exception {
        // Only the headers and a few bytes are sent: the server must answer from Content-Length.
        try (var socket = new java.net.Socket("localhost", port)) {
            var out = socket.getOutputStream();
            out.write(("POST /fhir/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n"
                    + "Accept: application/fhir+json\r\nAuthorization: Bearer " + org.carepath.TestTokens.SYSTEM
                    + "\r\nContent-Length: 104857600\r\n\r\n{\"resourceType\":")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(10_000);
            byte[] buffer = new byte[2048];
            int n = socket.getInputStream().read(buffer);
            String response = new String(buffer, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void invalidSearchValuesAre400() {
        fhir().get("/Patient?birthdate=notadate").then().statusCode(400)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].diagnostics", containsString("notadate"));
        fhir().get("/Observation?value-quantity=abc").then().statusCode(400);
    }

    @Test
    void injectionAttemptsInSearchValuesAreTreatedAsData() {
        fhir().get("/Patient?family=x' OR '1'='1").then().statusCode(200).body("total", equalTo(0));
        fhir().get("/Patient?_id=1;DROP TABLE resource").then().statusCode(200).body("total", equalTo(0));
        fhir().get("/Patient/1'--").then().statusCode(404);
        assertThat(jdbc.queryForObject("SELECT to_regclass('resource') IS NOT NULL", Boolean.class)).isTrue();
    }

    @Test
    void malformedIfMatchIs400() {
        String id = createPatient("IfMatch", unique("mrn"));
        fhir().header("If-Match", "W/\"one\"").body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}")
                .put("/Patient/" + id).then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
    }

    static void assertNoInternals(String body) {
        assertThat(body).doesNotContain("Exception").doesNotContain("at org.").doesNotContain("at java.")
                .doesNotContain("SELECT").doesNotContain("INSERT").doesNotContain("org.carepath")
                .doesNotContain("postgresql");
    }
}
