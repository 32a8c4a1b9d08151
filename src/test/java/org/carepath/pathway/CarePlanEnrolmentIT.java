package org.carepath.pathway;

import java.util.List;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.carepath.pathway.CarePlanApplyIT.procedure;
import static org.hamcrest.Matchers.equalTo;

/** Recording a scheduled SI joint fusion enrols the patient: a stored CarePlan and patient Tasks, once. */
class CarePlanEnrolmentIT extends EndToEndTest {

    private static final String SURGERY = "2027-03-10T08:00:00+01:00";

    private JsonPath activePlans(String patient) {
        return fhir().get("/CarePlan?subject=Patient/" + patient + "&status=active").then().statusCode(200)
                .extract().jsonPath();
    }

    @Test
    void aScheduledFusionEnrolsThePatient() {
        String patient = createPatient(unique("Enrol"), unique("mrn"));
        String procedure = fhir().body(procedure(patient, "27279", SURGERY, unique("surgery"))).post("/Procedure")
                .then().statusCode(201).extract().path("id");

        JsonPath plans = activePlans(patient);
        assertThat(plans.getInt("total")).isEqualTo(1);
        String planId = plans.getString("entry[0].resource.id");
        assertThat(plans.getList("entry[0].resource.supportingInfo.reference")).containsExactly("Procedure/" + procedure);
        assertThat(plans.getList("entry[0].resource.meta.profile.flatten()")).contains(CarePlanner.CAREPLAN_PROFILE);
        assertConformsToItsProfiles("CarePlan/" + planId); // written without the write-time check
        List<String> taskRefs = plans.getList("entry[0].resource.activity.outcomeReference.flatten().reference");
        assertThat(taskRefs).isNotEmpty().allMatch(r -> r.startsWith("Task/"));

        JsonPath tasks = fhir().get("/Task?patient=Patient/" + patient + "&status=requested&_count=100")
                .then().statusCode(200).extract().jsonPath();
        assertThat(tasks.getInt("total")).isEqualTo(taskRefs.size());
        assertThat(tasks.getList("entry.resource.basedOn.flatten().reference")).containsOnly("CarePlan/" + planId);
        fhir().get("/Task?based-on=CarePlan/" + planId + "&focus=ActivityDefinition/fasting").then().statusCode(200)
                .body("total", equalTo(1))
                .body("entry[0].resource.executionPeriod.start", equalTo("2027-03-09T20:00:00+01:00"));

        // a patient app's "what do I do today", on the day of surgery: Tasks whose period touches that day
        List<String> today = fhir().get("/Task?patient=" + patient + "&status=requested&period=ge2027-03-10"
                        + "&period=le2027-03-10&_count=100").then().statusCode(200)
                .extract().jsonPath().getList("entry.resource.focus.reference");
        assertThat(today).contains("ActivityDefinition/walk-same-day", "ActivityDefinition/fasting")
                .doesNotContain("ActivityDefinition/incision-check", "ActivityDefinition/physical-therapy");
    }

    @Test
    void theSameSurgeryEnrolsOnce() {
        String patient = createPatient(unique("Enrol"), unique("mrn"));
        String identifier = unique("surgery");
        fhir().body(procedure(patient, "27279", SURGERY, identifier)).post("/Procedure").then().statusCode(201);
        // posted again as a second Procedure with the same identifier
        fhir().body(procedure(patient, "27279", SURGERY, identifier)).post("/Procedure").then().statusCode(201);
        // and as a conditional create that finds the first
        fhir().body(procedure(patient, "27279", SURGERY, identifier))
                .header("If-None-Exist", "identifier=urn:carepath:test:surgery|" + identifier)
                .post("/Procedure").then().statusCode(412);
        assertThat(activePlans(patient).getInt("total")).isEqualTo(1);
    }

    @Test
    void recognisedByCodeNotByProfile() {
        String icd = createPatient(unique("Enrol"), unique("mrn"));
        String body = """
                {"resourceType":"Procedure","status":"preparation",
                 "code":{"coding":[{"system":"http://www.cms.gov/Medicare/Coding/ICD10","code":"0SG83JZ"}]},
                 "subject":{"reference":"Patient/%s"},"performedPeriod":{"start":"2027-05-03"}}""".formatted(icd);
        fhir().body(body).post("/Procedure").then().statusCode(201);
        assertThat(activePlans(icd).getInt("total")).isEqualTo(1);

        String other = createPatient(unique("Enrol"), unique("mrn"));
        fhir().body(procedure(other, "27096", SURGERY, null)).post("/Procedure").then().statusCode(201);
        String completed = procedure(other, "27279", SURGERY, null).replace("preparation", "completed");
        fhir().body(completed).post("/Procedure").then().statusCode(201);
        assertThat(activePlans(other).getInt("total")).isZero();
    }

    /** A patient in Berlin (core timezone extension), so that plans keep wall-clock times across DST. */
    private static String createPatientInBerlin() {
        String json = patientJson(unique("Enrol"), unique("mrn")).replace("{\"resourceType\":\"Patient\",",
                "{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/timezone\","
                        + "\"valueCode\":\"Europe/Berlin\"}],");
        return fhir().body(json).post("/Patient").then().statusCode(201).extract().path("id");
    }

    @Test
    void aNewSurgeryDateRedatesThePlanAndCancellingRevokesIt() {
        String patient = createPatientInBerlin();
        String body = procedure(patient, "27279", SURGERY, unique("surgery"));
        String procedure = fhir().body(body).post("/Procedure").then().statusCode(201).extract().path("id");
        String planId = activePlans(patient).getString("entry[0].resource.id");

        // a week later, same time
        String moved = body.replace(SURGERY, "2027-03-17T08:00:00+01:00")
                .replace("{\"resourceType\":\"Procedure\",", "{\"resourceType\":\"Procedure\",\"id\":\"" + procedure + "\",");
        fhir().body(moved).put("/Procedure/" + procedure).then().statusCode(200);
        JsonPath plan = fhir().get("/CarePlan/" + planId).then().statusCode(200).extract().jsonPath();
        assertThat(plan.getString("meta.versionId")).isEqualTo("2");
        assertThat(plan.getString("activity.detail.find { it.description.startsWith('Follow-up visit at 6 weeks:') }"
                + ".scheduledPeriod.start")).isEqualTo("2027-04-28T08:00:00+02:00");
        fhir().get("/Task?based-on=CarePlan/" + planId + "&focus=ActivityDefinition/fasting").then()
                .body("entry[0].resource.executionPeriod.start", equalTo("2027-03-16T20:00:00+01:00"));

        fhir().body(moved.replace("preparation", "entered-in-error")).put("/Procedure/" + procedure)
                .then().statusCode(200);
        fhir().get("/CarePlan/" + planId).then().body("status", equalTo("revoked"));
        assertThat(activePlans(patient).getInt("total")).isZero();
        fhir().get("/Task?based-on=CarePlan/" + planId + "&status=requested").then().body("total", equalTo(0));
        fhir().get("/Task?based-on=CarePlan/" + planId + "&status=cancelled").then()
                .body("total", equalTo(plan.getList("activity.outcomeReference.flatten().reference").size()));
    }

    private static String withId(String body, String id) {
        return body.replace("{\"resourceType\":\"Procedure\",", "{\"resourceType\":\"Procedure\",\"id\":\"" + id + "\",");
    }

    @Test
    void aSurgeryRecordedWithoutADateEnrolsWhenTheDateArrives() {
        String patient = createPatient(unique("Enrol"), unique("mrn"));
        String undated = """
                {"resourceType":"Procedure","status":"preparation",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},
                 "subject":{"reference":"Patient/%s"}}""".formatted(patient);
        String procedure = fhir().body(undated).post("/Procedure").then().statusCode(201).extract().path("id");
        assertThat(activePlans(patient).getInt("total")).isZero();

        String dated = withId(procedure(patient, "27279", SURGERY, null), procedure);
        fhir().body(dated).put("/Procedure/" + procedure).then().statusCode(200);
        JsonPath plans = activePlans(patient);
        assertThat(plans.getInt("total")).isEqualTo(1);
        assertThat(plans.getString("entry[0].resource.meta.versionId")).isEqualTo("1");

        // the same surgery written again unchanged: no new plan, no new version
        fhir().body(dated).put("/Procedure/" + procedure).then().statusCode(200);
        plans = activePlans(patient);
        assertThat(plans.getInt("total")).isEqualTo(1);
        assertThat(plans.getString("entry[0].resource.meta.versionId")).isEqualTo("1");
    }

    @Test
    void anOrderedSurgeryEnrolsAndThePerformedProcedureFollowsIt() {
        String patient = createPatient(unique("Enrol"), unique("mrn"));
        String order = """
                {"resourceType":"ServiceRequest","status":"active","intent":"order",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27280"}]},
                 "subject":{"reference":"Patient/%s"},"occurrenceDateTime":"%s"}""".formatted(patient, SURGERY);
        String serviceRequest = fhir().body(order).post("/ServiceRequest").then().statusCode(201).extract().path("id");
        JsonPath plans = activePlans(patient);
        assertThat(plans.getInt("total")).isEqualTo(1);
        String planId = plans.getString("entry[0].resource.id");
        assertThat(plans.getList("entry[0].resource.supportingInfo.reference"))
                .containsExactly("ServiceRequest/" + serviceRequest);

        // the scheduled Procedure that fulfils the order joins the same plan
        String scheduled = procedure(patient, "27280", SURGERY, null).replace("\"status\"",
                "\"basedOn\":[{\"reference\":\"ServiceRequest/" + serviceRequest + "\"}],\"status\"");
        String procedure = fhir().body(scheduled).post("/Procedure").then().statusCode(201).extract().path("id");
        plans = activePlans(patient);
        assertThat(plans.getInt("total")).isEqualTo(1);
        assertThat(plans.getList("entry[0].resource.supportingInfo.reference"))
                .containsExactly("ServiceRequest/" + serviceRequest, "Procedure/" + procedure);

        // performed a day late: the surgery step is done and recovery runs from the actual date
        String performed = withId(scheduled.replace("preparation", "completed")
                .replace(SURGERY, "2027-03-11T08:00:00+01:00"), procedure);
        fhir().body(performed).put("/Procedure/" + procedure).then().statusCode(200);
        JsonPath plan = fhir().get("/CarePlan/" + planId).then().statusCode(200).extract().jsonPath();
        assertThat(plan.getString("status")).isEqualTo("active");
        assertThat(plan.getString("activity.detail.find { it.description.startsWith('SI joint fusion surgery:') }.status"))
                .isEqualTo("completed");
        assertThat(plan.getString("activity.detail.find { it.description.startsWith('Incision check:') }"
                + ".scheduledPeriod.start")).isEqualTo("2027-03-25T08:00:00+01:00");
        fhir().get("/Task?based-on=CarePlan/" + planId + "&focus=ActivityDefinition/weight-bearing-limit").then()
                .body("entry[0].resource.executionPeriod.start", equalTo("2027-03-11T08:00:00+01:00"));

        // revoking the order revokes the plan
        fhir().body(order.replace("\"active\"", "\"revoked\"").replace("{\"resourceType\":\"ServiceRequest\",",
                "{\"resourceType\":\"ServiceRequest\",\"id\":\"" + serviceRequest + "\","))
                .put("/ServiceRequest/" + serviceRequest).then().statusCode(200);
        fhir().get("/CarePlan/" + planId).then().body("status", equalTo("revoked"));
    }

    @Test
    void aDuplicateMarkedEnteredInErrorLeavesThePlanAlone() {
        String patient = createPatient(unique("Enrol"), unique("mrn"));
        String identifier = unique("surgery");
        fhir().body(procedure(patient, "27279", SURGERY, identifier)).post("/Procedure").then().statusCode(201);
        String duplicate = fhir().body(procedure(patient, "27279", SURGERY, identifier)).post("/Procedure")
                .then().statusCode(201).extract().path("id");
        fhir().body(withId(procedure(patient, "27279", SURGERY, identifier), duplicate)
                        .replace("preparation", "entered-in-error"))
                .put("/Procedure/" + duplicate).then().statusCode(200);
        assertThat(activePlans(patient).getInt("total")).isEqualTo(1);
    }
}
