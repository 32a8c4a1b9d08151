package org.carepath.fhir;

import java.util.List;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** _history at instance, type and system level, with deletions and paging. */
class HistoryIT extends EndToEndTest {

    @Test
    void instanceHistoryListsEveryVersionNewestFirstIncludingTheDeletion() {
        String id = createPatient("Hist", unique("mrn"));
        fhir().body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":true}").put("/Patient/" + id)
                .then().statusCode(200);
        fhir().delete("/Patient/" + id).then().statusCode(200);

        JsonPath history = fhir().get("/Patient/" + id + "/_history").then().statusCode(200)
                .body("type", equalTo("history")).body("total", equalTo(3)).extract().jsonPath();
        assertThat(history.getList("entry.request.method")).containsExactly("DELETE", "PUT", "POST");
        assertThat(history.getList("entry.response.etag")).containsExactly("W/\"3\"", "W/\"2\"", "W/\"1\"");
        assertThat(history.getString("entry[0].resource")).isNull();
        assertThat(history.getString("entry[1].resource.active")).isEqualTo("true");
    }

    @Test
    void historyOfAnUnknownResourceIs404() {
        fhir().get("/Patient/" + unique("nobody") + "/_history").then().statusCode(404);
    }

    @Test
    void typeHistoryHonoursSinceAndPagesStablyWhileOthersWrite() throws InterruptedException {
        String since = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).minusMillis(1).toString();
        String family = unique("Paged");
        for (int i = 0; i < 5; i++) {
            fhir().body("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"" + family + "\"}}").post("/Basic")
                    .then().statusCode(201);
        }
        JsonPath page1 = fhir().queryParam("_since", since).queryParam("_count", 2).get("/Basic/_history").then().statusCode(200)
                .extract().jsonPath();
        assertThat(page1.getInt("total")).isGreaterThanOrEqualTo(5);
        assertThat(page1.getList("entry")).hasSize(2);
        String next = nextLink(page1);
        assertThat(next).isNotNull();

        // Writes after the first page do not shift the pages still to come.
        for (int i = 0; i < 3; i++) {
            fhir().body("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"later\"}}").post("/Basic")
                    .then().statusCode(201);
        }
        // The remaining pages, followed from the links, hold the rest without repeats.
        List<String> seen = new java.util.ArrayList<>(page1.getList("entry.resource.id"));
        while (next != null) {
            JsonPath page = io.restassured.RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(next).then().statusCode(200)
                    .extract().jsonPath();
            seen.addAll(page.getList("entry.resource.id"));
            next = nextLink(page);
        }
        assertThat(seen).doesNotHaveDuplicates().hasSize(page1.getInt("total"));
    }

    @Test
    void systemHistoryIncludesEveryType() {
        String since = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).minusMillis(1).toString();
        createPatient("Sys", unique("mrn"));
        fhir().body("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"sys\"}}").post("/Basic").then().statusCode(201);
        JsonPath history = fhir().queryParam("_since", since).get("/_history").then().statusCode(200).extract().jsonPath();
        assertThat(history.getList("entry.resource.resourceType", String.class)).contains("Patient", "Basic");
    }

    private static String nextLink(JsonPath bundle) {
        List<String> relations = bundle.getList("link.relation");
        int i = relations.indexOf("next");
        return i < 0 ? null : bundle.getString("link[" + i + "].url");
    }
}
