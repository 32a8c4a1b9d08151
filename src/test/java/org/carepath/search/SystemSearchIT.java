package org.carepath.search;

import java.util.ArrayList;
import java.util.List;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** System-level search: {@code GET [base]?...} and {@code POST [base]/_search}, across types. */
class SystemSearchIT extends TaggedSearchTest {

    private JsonPath system(String query) {
        return fhir().get(baseUrl() + "?_tag=" + tagValue() + "&_count=100" + (query.isEmpty() ? "" : "&" + query))
                .then().statusCode(200).extract().jsonPath();
    }

    @Test
    void searchesEveryTypeOrTheTypesOfTypeWithCommonParameters() {
        newTag();
        String patient = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Systemic\"}]}");
        String observation = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"pain"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(patient));
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(patient));
        String profiled = fhir().body("""
                {"resourceType":"Flag","status":"active","code":{"text":"f"},"subject":{"reference":"Patient/%s"},
                 "meta":{"profile":["https://example.org/StructureDefinition/flag"],
                  "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],
                  "tag":[{"system":"%s","code":"%s"}]}}""".formatted(patient, TAGS, tag)).post("/Flag")
                .then().statusCode(201).extract().path("id");

        JsonPath all = system("");
        assertThat(all.getList("entry.resource.resourceType")).containsExactly("Patient", "Observation", "CarePlan", "Flag");
        assertThat(all.getInt("total")).isEqualTo(4);
        assertThat(matches(system("_type=CarePlan,Patient"))).containsExactlyInAnyOrder(patient, plan);
        assertThat(matches(system("_type=CarePlan&_type=Observation"))).containsExactlyInAnyOrder(observation, plan);
        assertThat(matches(system("_id=" + plan + "," + observation))).containsExactlyInAnyOrder(plan, observation);
        assertThat(matches(system("_profile=https://example.org/StructureDefinition/flag"))).containsExactly(profiled);
        assertThat(matches(system("_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R"))).containsExactly(profiled);
        assertThat(matches(system("_lastUpdated=lt2000-01-01"))).isEmpty();
        assertThat(matches(system("_lastUpdated=gt2000-01-01&_type=Flag"))).containsExactly(profiled);
        assertThat(system("_sort=-_lastUpdated").getList("entry.resource.id")).containsExactly(profiled, plan, observation, patient);
        // With _type, the parameters all the named types define may be used: here, subject.
        assertThat(matches(system("_type=Observation,CarePlan&subject=Patient/" + patient))).containsExactlyInAnyOrder(observation, plan);
        assertThat(matches(system("_type=Patient&family=systemic"))).containsExactly(patient);
        JsonPath included = system("_type=Observation&_include=Observation:subject");
        assertThat(included.getList("entry.search.mode")).containsExactly("match", "include");
        assertThat(included.getString("entry[1].resource.id")).isEqualTo(patient);
        fhir().get(baseUrl() + "?_tag=" + tagValue() + "&_summary=count").then().statusCode(200).body("total", equalTo(4));
        fhir().get(baseUrl() + "?_tag=" + tagValue() + "&_total=accurate&_count=1").then().statusCode(200).body("total", equalTo(4))
                .body("entry.size()", equalTo(1));

        RestAssured.given().accept(FHIR_JSON).contentType("application/x-www-form-urlencoded")
                .formParam("_tag", tagValue()).formParam("_type", "Patient,Flag")
                .post("/_search").then().statusCode(200).body("type", equalTo("searchset")).body("total", equalTo(2));
    }

    @Test
    void parametersNotCommonToTheTypesWarnOrFailUnderStrictHandling() {
        newTag();
        create("Patient", "{\"resourceType\":\"Patient\"}");
        JsonPath lenient = system("family=x");
        assertThat(lenient.getInt("total")).isEqualTo(1);
        assertThat(lenient.getString("entry.find { it.search.mode == 'outcome' }.resource.issue[0].diagnostics"))
                .contains("family");
        fhir().header("Prefer", "handling=strict").get(baseUrl() + "?_tag=" + tagValue() + "&family=x").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("family"));
        fhir().header("Prefer", "handling=strict").get(baseUrl() + "?_tag=" + tagValue() + "&_type=Patient,Observation&family=x")
                .then().statusCode(400);
        fhir().get(baseUrl() + "?_type=Nonsense").then().statusCode(400).body("issue[0].diagnostics", containsString("Nonsense"));
        fhir().get(baseUrl() + "?_lastUpdated=last-week").then().statusCode(400);
    }

    @Test
    void pagesAcrossTypesWithoutRepeatsWhileOthersInsertAndNeverShowsDeleted() {
        newTag();
        List<String> created = new ArrayList<>();
        String[] types = {"Patient", "Basic", "Observation"};
        for (int i = 0; i < 6; i++) {
            String type = types[i % 3];
            created.add(create(type, switch (type) {
                case "Patient" -> "{\"resourceType\":\"Patient\"}";
                case "Basic" -> "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"b\"}}";
                default -> "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"o\"}}";
            }));
        }
        String deleted = create("Basic", "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"gone\"}}");
        fhir().delete("/Basic/" + deleted).then().statusCode(200);

        JsonPath page = fhir().get(baseUrl() + "?_tag=" + tagValue() + "&_count=4").then().statusCode(200).extract().jsonPath();
        assertThat(page.getInt("total")).isEqualTo(6);
        List<String> seen = new ArrayList<>(page.getList("entry.resource.id"));
        created.add(create("Patient", "{\"resourceType\":\"Patient\"}")); // written while the client pages
        String next = link(page, "next");
        JsonPath last = page;
        while (next != null) {
            last = follow(next);
            seen.addAll(last.getList("entry.resource.id"));
            next = link(last, "next");
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyElementsOf(created).doesNotContain(deleted);
        List<String> before = follow(link(last, "previous")).getList("entry.resource.id");
        assertThat(before).containsExactlyElementsOf(created.subList(0, 4));
    }

    @Test
    void batchGetEntriesSearchAtSystemLevel() {
        newTag();
        String patient = create("Patient", "{\"resourceType\":\"Patient\"}");
        fhir().body("""
                {"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"?_type=Patient&_tag=%s"}}]}"""
                .formatted(tagValue())).post("").then().statusCode(200)
                .body("entry[0].response.status", containsString("200"))
                .body("entry[0].resource.type", equalTo("searchset"))
                .body("entry[0].resource.entry.resource.id", hasItem(patient));
    }
}
