package org.carepath.fhir;

import java.util.List;
import java.util.Map;

import io.restassured.response.Response;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads and searches answered with the stored JSON text (StoredJsonResponses) are what HAPI's
 * encoder would have written: the same bytes and headers as the encoded answer, which
 * {@code _summary=false} (the default, spelled out) still gets.
 */
class StoredJsonResponsesIT extends EndToEndTest {

    private static final List<String> HEADERS = List.of("Content-Type", "ETag", "Last-Modified", "Content-Location");

    @Test
    void aReadIsTheEncodedResourceByteForByte() {
        String patient = createPatient();
        String observation = createObservation(patient, "Patient/" + patient);

        for (String path : List.of("/Observation/" + observation, "/Observation/" + observation + "/_history/1",
                "/Patient/" + patient)) {
            Response stored = fhir().get(path);
            Response encoded = fhir().queryParam("_summary", "false").get(path);
            assertThat(stored.statusCode()).isEqualTo(200);
            assertThat(stored.asString()).isEqualTo(encoded.asString()).startsWith("{\"resourceType\":\"");
            assertThat(headers(stored)).isEqualTo(headers(encoded));
            assertThat(stored.header("ETag")).isEqualTo("W/\"1\"");
        }
    }

    @Test
    void searchesHistoryAndEverythingHoldTheEncodedEntries() {
        String patient = createPatient();
        createObservation(patient, "Patient/" + patient);
        createObservation(patient, "Patient/" + patient);

        for (String query : List.of("/Observation?subject=Patient/" + patient,
                "/Observation?subject=Patient/" + patient + "&_include=Observation:subject&_count=1",
                "/Patient/" + patient + "/_history", "/Patient/" + patient + "/$everything")) {
            Response stored = fhir().urlEncodingEnabled(false).get(query);
            Response encoded = fhir().urlEncodingEnabled(false).get(query + (query.contains("?") ? "&" : "?") + "_summary=false");
            assertThat(stored.statusCode()).isEqualTo(200);
            assertThat(withoutBundleIdentity(stored.asString())).isEqualTo(withoutBundleIdentity(encoded.asString()));
            assertThat(stored.jsonPath().getList("entry.resource.resourceType")).isNotEmpty().doesNotContain("Basic");
            assertThat(headers(stored).keySet()).isEqualTo(headers(encoded).keySet());
        }
    }

    @Test
    void anAbsoluteReferenceToThisServerIsAnsweredRelativeAsHapiEncodesIt() {
        String patient = createPatient();
        String observation = createObservation(patient, baseUrl() + "/Patient/" + patient);

        String read = fhir().get("/Observation/" + observation).then().statusCode(200).extract().asString();
        assertThat(read).contains("\"reference\":\"Patient/" + patient + "\"").doesNotContain(baseUrl() + "/Patient/");
        String search = fhir().get("/Observation?_id=" + observation).then().statusCode(200).extract().asString();
        assertThat(search).contains("\"reference\":\"Patient/" + patient + "\"");
    }

    @Test
    void elementsSummaryPrettyAndXmlAreStillHonoured() {
        String patient = createPatient();
        String observation = createObservation(patient, "Patient/" + patient);
        String path = "/Observation/" + observation;

        assertThat(fhir().queryParam("_elements", "status").get(path).jsonPath().getMap("$"))
                .containsKeys("resourceType", "id", "status").doesNotContainKeys("subject", "valueQuantity");
        assertThat(fhir().queryParam("_summary", "true").get("/Patient/" + patient).asString())
                .contains("SUBSETTED").doesNotContain("Stored &amp; served");
        assertThat(fhir().queryParam("_pretty", "true").get(path).asString()).contains("\n  \"resourceType\"");
        assertThat(fhir().accept("application/fhir+xml").get(path).asString()).startsWith("<Observation");
    }

    @Test
    void aBodyStoredBeforeV006InJsonbKeyOrderIsEncodedAgain() {
        String patient = createPatient();
        String observation = createObservation(patient, "Patient/" + patient);
        // jsonb printed its keys shortest first, with a space after each colon
        jdbc.update("UPDATE resource SET body = (body::jsonb)::text::json WHERE res_type = 'Observation' AND res_id = ?",
                observation);
        assertThat(jdbc.queryForObject("SELECT body::text FROM resource WHERE res_type = 'Observation' AND res_id = ?",
                String.class, observation)).startsWith("{\"id\": ");

        String read = fhir().get("/Observation/" + observation).then().statusCode(200).extract().asString();
        assertThat(read).startsWith("{\"resourceType\":\"Observation\",\"id\":\"" + observation + "\"");
        assertThat(read).isEqualTo(fhir().queryParam("_summary", "false").get("/Observation/" + observation).asString());
    }

    @Test
    void theCapabilityStatementIsHapisEncodingAndFollowsARebuild() {
        // Cache-Control: no-cache makes HAPI build a new statement (with a new id) and keep it for a
        // minute: the requests below all get that one, even when the kept one had just expired.
        String built = fhir().header("Cache-Control", "no-cache").get("/metadata").jsonPath().getString("id");
        Response kept = fhir().get("/metadata");
        Response encoded = fhir().queryParam("_summary", "false").get("/metadata");
        assertThat(kept.statusCode()).isEqualTo(200);
        assertThat(kept.jsonPath().getString("id")).isEqualTo(built);
        assertThat(kept.asString()).isEqualTo(encoded.asString()).startsWith("{\"resourceType\":\"CapabilityStatement\"");
        assertThat(headers(kept)).isEqualTo(headers(encoded));
        assertThat(fhir().accept("application/fhir+xml").get("/metadata").asString()).startsWith("<CapabilityStatement");

        String rebuilt = fhir().header("Cache-Control", "no-cache").get("/metadata").jsonPath().getString("id");
        assertThat(rebuilt).isNotEqualTo(built);
        assertThat(fhir().get("/metadata").jsonPath().getString("id")).isEqualTo(rebuilt);
    }

    private String createPatient() {
        return fhir().body("""
                {"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Stored &amp; served</div>"},
                 "name":[{"family":"%s","given":["Ånne"]}],"birthDate":"1970-03-04"}""".formatted(unique("Stored")))
                .post("/Patient").then().statusCode(201).extract().path("id");
    }

    private String createObservation(String patient, String subjectReference) {
        return fhir().body("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"72514-3"}]},
                 "subject":{"reference":"%s"},"effectiveDateTime":"2026-11-02T10:00:00Z",
                 "valueQuantity":{"value":4,"unit":"{score}","system":"http://unitsofmeasure.org","code":"{score}"}}"""
                .formatted(subjectReference)).post("/Observation").then().statusCode(201).extract().path("id");
    }

    private static Map<String, String> headers(Response response) {
        Map<String, String> headers = new java.util.TreeMap<>();
        HEADERS.forEach(name -> {
            if (response.header(name) != null) {
                headers.put(name, response.header(name));
            }
        });
        return headers;
    }

    /** A Bundle's id, time and links (which carry the request's own parameters) differ per request. */
    private static String withoutBundleIdentity(String bundle) {
        return bundle.replaceFirst("\"id\":\"[^\"]*\",\"meta\":\\{\"lastUpdated\":\"[^\"]*\"}", "")
                .replaceAll("\"link\":\\[[^]]*]", "");
    }
}
