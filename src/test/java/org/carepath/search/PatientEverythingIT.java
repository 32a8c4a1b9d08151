package org.carepath.search;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Patient/$everything: the patient's whole record, as a patient app or an EHR fetches it. */
class PatientEverythingIT extends TaggedSearchTest {

    /** A patient with a record, and the ids of its parts. */
    private record Record(String patient, String observation, String plan, String task, String flag, String answers,
                          String practitioner, String organization) {
    }

    private Record record() {
        String organization = create("Organization", "{\"resourceType\":\"Organization\",\"name\":\"Spine Centre\"}");
        String practitioner = create("Practitioner", "{\"resourceType\":\"Practitioner\",\"name\":[{\"family\":\"Surgeon\"}]}");
        String patient = create("Patient", """
                {"resourceType":"Patient","managingOrganization":{"reference":"Organization/%s"}}""".formatted(organization));
        String observation = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"pain"},"subject":{"reference":"Patient/%s"},
                 "performer":[{"reference":"Practitioner/%s"}]}""".formatted(patient, practitioner));
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(patient));
        String task = create("Task", """
                {"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/%s"},
                 "basedOn":[{"reference":"CarePlan/%s"}]}""".formatted(patient, plan));
        String flag = create("Flag", """
                {"resourceType":"Flag","status":"active","code":{"text":"alert"},"subject":{"reference":"Patient/%s"}}""".formatted(patient));
        String answers = create("QuestionnaireResponse", """
                {"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":"Patient/%s"}}""".formatted(patient));
        return new Record(patient, observation, plan, task, flag, answers, practitioner, organization);
    }

    private static JsonPath everything(String path) {
        return fhir().get(path).then().statusCode(200).body("type", equalTo("searchset")).extract().jsonPath();
    }

    private static List<String> included(JsonPath bundle) {
        return bundle.getList("entry.findAll { it.search.mode == 'include' }.resource.id");
    }

    @Test
    void returnsThePatientItsCompartmentAndWhatItRefersToButNoOneElses() {
        newTag();
        Record r = record();
        String other = create("Patient", "{\"resourceType\":\"Patient\"}");
        String othersObservation = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"pain"},"subject":{"reference":"Patient/%s"}}""".formatted(other));
        // Refers to another patient's observation: that one is not in this compartment, so not shown.
        String pointing = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"pain"},"subject":{"reference":"Patient/%s"},
                 "hasMember":[{"reference":"Observation/%s"}]}""".formatted(r.patient(), othersObservation));
        String deleted = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"pain"},"subject":{"reference":"Patient/%s"}}""".formatted(r.patient()));
        fhir().delete("/Observation/" + deleted).then().statusCode(200);

        JsonPath bundle = everything("/Patient/" + r.patient() + "/$everything");
        assertThat(matches(bundle)).containsExactly(r.patient(), r.observation(), r.plan(), r.task(), r.flag(), r.answers(),
                pointing);
        assertThat(included(bundle)).containsExactlyInAnyOrder(r.practitioner(), r.organization());
        assertThat(bundle.getInt("total")).isEqualTo(7);
        // the Task is there because CarePath adds Tasks to the Patient compartment (R4 lists none)
        assertThat(bundle.getList("entry.resource.id")).doesNotContain(other, othersObservation, deleted);

        JsonPath typed = everything("/Patient/" + r.patient() + "/$everything?_type=Observation,Practitioner");
        assertThat(matches(typed)).containsExactly(r.observation(), pointing);
        assertThat(included(typed)).containsExactly(r.practitioner());
        assertThat(matches(everything("/Patient/" + r.patient() + "/$everything?_type=Patient&_type=Flag")))
                .containsExactly(r.patient(), r.flag());
    }

    @Test
    void sinceKeepsWhatChangedAndCountPagesThroughTheRest() {
        newTag();
        Record r = record();
        Instant since = Instant.parse(fhir().get("/Flag/" + r.flag()).then().extract().<String>path("meta.lastUpdated"));
        fhir().body(tagged("""
                {"resourceType":"CarePlan","id":"%s","status":"completed","intent":"plan","subject":{"reference":"Patient/%s"}}"""
                .formatted(r.plan(), r.patient()))).put("/CarePlan/" + r.plan()).then().statusCode(200);

        List<String> all = List.of(r.patient(), r.observation(), r.plan(), r.task(), r.flag(), r.answers());
        List<String> changed = new ArrayList<>();
        String[] types = {"Patient", "Observation", "CarePlan", "Task", "Flag", "QuestionnaireResponse"};
        for (int i = 0; i < types.length; i++) {
            Instant updated = Instant.parse(fhir().get("/" + types[i] + "/" + all.get(i)).then().extract().<String>path("meta.lastUpdated"));
            if (!updated.isBefore(since)) {
                changed.add(all.get(i));
            }
        }
        assertThat(changed).contains(r.flag(), r.answers(), r.plan()).doesNotContain(r.patient());
        assertThat(matches(everything("/Patient/" + r.patient() + "/$everything?_since=" + since))).containsExactlyElementsOf(changed);

        JsonPath page = everything("/Patient/" + r.patient() + "/$everything?_count=2");
        assertThat(page.getInt("total")).isEqualTo(6);
        List<String> seen = new ArrayList<>(matches(page));
        String next = link(page, "next");
        while (next != null) {
            page = follow(next);
            seen.addAll(matches(page));
            next = link(page, "next");
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyElementsOf(all);
        assertThat(matches(follow(link(page, "previous")))).containsExactlyElementsOf(all.subList(2, 4));
    }

    @Test
    void typeLevelEverythingCoversEveryPatientAndPostTakesParameters() {
        newTag();
        Record first = record();
        Instant since = Instant.parse(fhir().get("/Patient/" + first.patient()).then().extract().<String>path("meta.lastUpdated"));
        Record second = record();
        List<String> seen = new ArrayList<>();
        JsonPath page = everything("/Patient/$everything?_type=Patient,Flag&_count=2&_since=" + since);
        seen.addAll(matches(page));
        for (String next = link(page, "next"); next != null; next = link(page, "next")) {
            page = follow(next);
            seen.addAll(matches(page));
        }
        assertThat(seen).containsExactly(first.patient(), first.flag(), second.patient(), second.flag());

        fhir().body("""
                {"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Flag"},{"name":"_count","valueUnsignedInt":5}]}""")
                .post("/Patient/" + first.patient() + "/$everything").then().statusCode(200)
                .body("entry.resource.id", org.hamcrest.Matchers.contains(first.flag()));
    }

    @Test
    void unknownPatientsAndBadParametersAreRefused() {
        newTag();
        String gone = create("Patient", "{\"resourceType\":\"Patient\"}");
        fhir().delete("/Patient/" + gone).then().statusCode(200);
        fhir().get("/Patient/" + gone + "/$everything").then().statusCode(410);
        fhir().get("/Patient/never-was/$everything").then().statusCode(404);
        String patient = create("Patient", "{\"resourceType\":\"Patient\"}");
        fhir().get("/Patient/" + patient + "/$everything?_count=abc").then().statusCode(400)
                .body("resourceType", equalTo("OperationOutcome"));
        fhir().get("/Patient/" + patient + "/$everything?_since=yesterday").then().statusCode(400);
        fhir().get("/Patient/" + patient + "/$everything?_type=Nonsense").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("Nonsense"));
        // start and end (care dates) are not supported: ignored with a warning, or refused when strict.
        JsonPath lenient = everything("/Patient/" + patient + "/$everything?start=2026-01-01");
        assertThat(matches(lenient)).containsExactly(patient);
        assertThat(lenient.getString("entry.find { it.search.mode == 'outcome' }.resource.issue[0].diagnostics"))
                .contains("start");
        fhir().header("Prefer", "handling=strict").get("/Patient/" + patient + "/$everything?start=2026-01-01")
                .then().statusCode(400).body("issue[0].diagnostics", containsString("start"));
    }
}
