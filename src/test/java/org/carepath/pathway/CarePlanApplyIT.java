package org.carepath.pathway;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * PlanDefinition/$apply on the SI joint fusion pathway. Expected dates come from
 * fhir-profiles/resources/PlanDefinition-si-joint-fusion.json (offsets cited per assertion) for a
 * surgery on 2027-03-10 08:00 in Europe/Berlin, where summer time starts on 2027-03-28.
 */
public class CarePlanApplyIT extends EndToEndTest {

    private static final String PATHWAY = PathwayPlans.PATHWAY;
    private static final String SURGERY = "2027-03-10T08:00:00+01:00";

    @Autowired
    ProfileValidator validator;

    @Autowired
    FhirContext fhirContext;

    private JsonPath apply(String patientId, String extraQuery) {
        return fhir().urlEncodingEnabled(false).get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patientId
                        + "&surgeryDate=" + SURGERY.replace("+", "%2B") + "&timezone=Europe/Berlin" + extraQuery)
                .then().statusCode(200).body("resourceType", equalTo("CarePlan")).extract().jsonPath();
    }

    /** The activity whose description starts with the action's title. */
    private static Map<String, Object> activity(JsonPath plan, String title) {
        List<Map<String, Object>> activities = plan.getList("activity.detail");
        return activities.stream().filter(d -> ((String) d.get("description")).startsWith(title + ":"))
                .findFirst().orElseThrow(() -> new AssertionError("no activity " + title));
    }

    @SuppressWarnings("unchecked")
    private static String start(JsonPath plan, String title) {
        return ((Map<String, String>) activity(plan, title).get("scheduledPeriod")).get("start");
    }

    @SuppressWarnings("unchecked")
    private static String end(JsonPath plan, String title) {
        return ((Map<String, String>) activity(plan, title).get("scheduledPeriod")).get("end");
    }

    @Test
    void applyDatesEveryActivityFromTheSurgeryAcrossTheDstChange() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        JsonPath plan = apply(patient, "");

        assertThat(plan.getString("status")).isEqualTo("active");
        assertThat(plan.getString("intent")).isEqualTo("plan");
        assertThat(plan.getString("subject.reference")).isEqualTo("Patient/" + patient);
        assertThat(plan.getList("instantiatesCanonical")).containsExactly(PATHWAY + "|0.1.0");
        // fasting: before-start 12 h (%fastingHours), lasting 12 h
        assertThat(start(plan, "Fasting before surgery")).isEqualTo("2027-03-09T20:00:00+01:00");
        assertThat(end(plan, "Fasting before surgery")).isEqualTo(SURGERY);
        // nsaid-aspirin-hold: before-start 10 d (%nsaidHoldDays), lasting 10 d
        assertThat(start(plan, "Stop NSAIDs and aspirin")).isEqualTo("2027-02-28T08:00:00+01:00");
        assertThat(end(plan, "Stop NSAIDs and aspirin")).isEqualTo(SURGERY);
        // walk-same-day: after-start 0 d
        assertThat(start(plan, "Walking on the day of surgery")).isEqualTo(SURGERY);
        assertThat(start(plan, "SI joint fusion surgery")).isEqualTo(SURGERY);
        // weight-bearing-limit: after-start 0 d, lasting 6 wk (%weightBearingLimitWeeks): same wall time after DST
        assertThat(start(plan, "Limited weight on the operated side")).isEqualTo(SURGERY);
        assertThat(end(plan, "Limited weight on the operated side")).isEqualTo("2027-04-21T08:00:00+02:00");
        // incision-check 2 wk (%incisionCheckWeeks); follow-up visits 6 wk, 3, 6, 12 mo
        assertThat(start(plan, "Incision check")).isEqualTo("2027-03-24T08:00:00+01:00");
        assertThat(start(plan, "Follow-up visit at 6 weeks")).isEqualTo("2027-04-21T08:00:00+02:00");
        assertThat(start(plan, "Follow-up visit at 3 months")).isEqualTo("2027-06-10T08:00:00+02:00");
        assertThat(start(plan, "Follow-up visit at 6 months")).isEqualTo("2027-09-10T08:00:00+02:00");
        assertThat(start(plan, "Follow-up visit at 12 months")).isEqualTo("2028-03-10T08:00:00+01:00");
        assertThat(activity(plan, "Follow-up visit at 6 weeks").get("kind")).isEqualTo("Appointment");
        // questionnaires: pain score and ODI at 1, 3, 6, 12, 24 mo
        assertThat(start(plan, "Pain score at 1 month")).isEqualTo("2027-04-10T08:00:00+02:00");
        assertThat(start(plan, "Oswestry Disability Index at 3 months")).isEqualTo("2027-06-10T08:00:00+02:00");
        assertThat(start(plan, "Oswestry Disability Index at 24 months")).isEqualTo("2029-03-10T08:00:00+01:00");
        // baseline questionnaires are eligibility actions: at the start of the plan (today), not surgery-relative
        String today = LocalDate.now(ZoneId.of("Europe/Berlin")).toString();
        assertThat(start(plan, "Pain score before surgery")).startsWith(today);
        assertThat(activity(plan, "Pain score before surgery").get("status")).isEqualTo("not-started");
        assertThat(activity(plan, "Fasting before surgery").get("status")).isEqualTo("scheduled");
        // recovery-check-in: every 1 d (%checkInIntervalDays) for 6 wk (%checkInDurationWeeks)
        String checkIn = "activity.detail.find { it.description.startsWith('Recovery check-in:') }.scheduledTiming.repeat";
        assertThat(plan.getString(checkIn + ".boundsPeriod.start")).isEqualTo(SURGERY);
        assertThat(plan.getString(checkIn + ".boundsPeriod.end")).isEqualTo("2027-04-21T08:00:00+02:00");
        assertThat(plan.getString(checkIn + ".periodUnit")).isEqualTo("d");
        // period: plan start (today) to the last follow-up (24 months)
        assertThat(plan.getString("period.start")).startsWith(today);
        assertThat(plan.getString("period.end")).isEqualTo("2029-03-10T08:00:00+01:00");
        assertThat(plan.getString("text.status")).isEqualTo("generated");
        assertThat(plan.getString("text.div")).contains("Preparation").contains("Tuesday 9 March 2027 at 20:00");
    }

    @Test
    void applyContainsThePatientTasks() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        JsonPath plan = apply(patient, "");
        List<Map<String, Object>> tasks = plan.getList("contained");
        assertThat(tasks).isNotEmpty().allMatch(t -> "Task".equals(t.get("resourceType")));
        assertThat(plan.getList("contained.status")).containsOnly("requested");
        assertThat(plan.getList("contained.intent")).containsOnly("plan");
        assertThat(plan.getList("contained.for.reference")).containsOnly("Patient/" + patient);
        // each Task is named by its activity
        List<String> outcome = plan.getList("activity.outcomeReference.flatten().reference");
        assertThat(outcome).hasSize(tasks.size()).allMatch(r -> r.startsWith("#task"));
        assertThat(plan.getList("contained.id", String.class).stream().map(id -> "#" + id).toList())
                .containsExactlyInAnyOrderElementsOf(outcome);
        Map<String, Object> fasting = tasks.stream()
                .filter(t -> "ActivityDefinition/fasting".equals(((Map<?, ?>) t.get("focus")).get("reference")))
                .findFirst().orElseThrow();
        assertThat(((Map<?, ?>) fasting.get("executionPeriod")).get("start")).isEqualTo("2027-03-09T20:00:00+01:00");
        assertThat((String) fasting.get("description")).contains("Do not eat or drink");
        // clinician-only steps (surgery, follow-up visits) get no patient Task
        assertThat(plan.getList("contained.focus.reference")).doesNotContain("ActivityDefinition/si-joint-fusion-surgery",
                "ActivityDefinition/follow-up-visit").contains("Questionnaire/oswestry-disability-index");
    }

    @Test
    void aParameterOverrideMovesTheDates() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        JsonPath plan = apply(patient, "&weightBearingLimitWeeks=4&fastingHours=8");
        assertThat(end(plan, "Limited weight on the operated side")).isEqualTo("2027-04-07T08:00:00+02:00");
        assertThat(start(plan, "Fasting before surgery")).isEqualTo("2027-03-10T00:00:00+01:00");
        assertThat(plan.getList("extension.extension.flatten().valueCode")).contains("weightBearingLimitWeeks", "fastingHours");

        // the same as a POSTed Parameters resource with a nested 'parameters'
        String body = """
                {"resourceType":"Parameters","parameter":[
                  {"name":"url","valueCanonical":"%s"},
                  {"name":"subject","valueString":"Patient/%s"},
                  {"name":"surgeryDate","valueDateTime":"%s"},
                  {"name":"timezone","valueString":"Europe/Berlin"},
                  {"name":"parameters","resource":{"resourceType":"Parameters","parameter":[
                    {"name":"weightBearingLimitWeeks","valueDecimal":4}]}}]}""".formatted(PATHWAY, patient, SURGERY);
        JsonPath posted = fhir().body(body).post("/PlanDefinition/$apply").then().statusCode(200).extract().jsonPath();
        assertThat(end(posted, "Limited weight on the operated side")).isEqualTo("2027-04-07T08:00:00+02:00");

        fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient
                + "&surgeryDate=2027-03-10&noSuchParameter=3").then().statusCode(400);
    }

    @Test
    void aDateWithoutTimeMeansTheDay() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        JsonPath plan = fhir().get("/PlanDefinition/$apply?url=" + PATHWAY + "&subject=Patient/" + patient
                + "&surgeryDate=2027-03-10").then().statusCode(200).extract().jsonPath();
        assertThat(start(plan, "Follow-up visit at 6 weeks")).isEqualTo("2027-04-21");
        assertThat(start(plan, "Fasting before surgery")).isEqualTo("2027-03-09");
    }

    @Test
    void aPastSurgeryPlansOnlyWhatIsStillAhead() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        String surgery = LocalDate.now(ZoneId.of("Europe/Berlin")).minusDays(7).toString();
        JsonPath plan = fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient
                + "&surgeryDate=" + surgery + "&timezone=Europe/Berlin").then().statusCode(200).extract().jsonPath();
        assertThat(activity(plan, "Fasting before surgery").get("status")).isEqualTo("cancelled");
        assertThat(activity(plan, "Limited weight on the operated side").get("status")).isEqualTo("scheduled");
        assertThat(plan.getList("contained.focus.reference")).doesNotContain("ActivityDefinition/fasting")
                .contains("ActivityDefinition/weight-bearing-limit");
    }

    @Test
    void applyStoresNothing() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        Integer before = jdbc.queryForObject("SELECT count(*) FROM resource WHERE res_type <> 'AuditEvent'", Integer.class);
        apply(patient, "");
        fhir().body("{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"subject\",\"valueReference\":"
                + "{\"reference\":\"Patient/" + patient + "\"}},{\"name\":\"surgeryDate\",\"valueDate\":\"2027-03-10\"}]}")
                .post("/PlanDefinition/si-joint-fusion/$apply").then().statusCode(200);
        Integer after = jdbc.queryForObject("SELECT count(*) FROM resource WHERE res_type <> 'AuditEvent'", Integer.class);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void refusals() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        fhir().get("/PlanDefinition/no-such-pathway/$apply?subject=Patient/" + patient + "&surgeryDate=2027-03-10")
                .then().statusCode(404);
        fhir().get("/PlanDefinition/$apply?url=https://carepath.org/fhir/PlanDefinition/none&subject=Patient/"
                + patient + "&surgeryDate=2027-03-10").then().statusCode(404);
        fhir().get("/PlanDefinition/si-joint-fusion/$apply?surgeryDate=2027-03-10").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("subject"));
        fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + unique("nobody") + "&surgeryDate=2027-03-10")
                .then().statusCode(404);
        fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Practitioner/x&surgeryDate=2027-03-10")
                .then().statusCode(400);
        fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient).then().statusCode(400)
                .body("issue[0].diagnostics", containsString("surgery"));
        fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient + "&surgeryDate=next-week")
                .then().statusCode(400);
    }

    @Test
    void theSurgeryDateComesFromTheScheduledProcedure() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        // a non-fusion procedure (diagnostic block, CPT 27096) is not the surgery
        fhir().body(procedure(patient, "27096", "2027-02-01T08:00:00+01:00", null)).post("/Procedure").then().statusCode(201);
        String procedure = fhir().body(procedure(patient, "27279", SURGERY, null)).post("/Procedure")
                .then().statusCode(201).extract().path("id");
        JsonPath plan = fhir().get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient
                + "&timezone=Europe/Berlin").then().statusCode(200).extract().jsonPath();
        assertThat(start(plan, "Follow-up visit at 6 weeks")).isEqualTo("2027-04-21T08:00:00+02:00");
        assertThat(plan.getList("supportingInfo.reference")).containsExactly("Procedure/" + procedure);
    }

    @Test
    void theCarePlanConformsToTheProfile() {
        String patient = createPatient(unique("Apply"), unique("mrn"));
        String json = fhir().urlEncodingEnabled(false).get("/PlanDefinition/si-joint-fusion/$apply?subject=Patient/" + patient
                        + "&surgeryDate=" + SURGERY.replace("+", "%2B") + "&timezone=Europe/Berlin&weightBearingLimitWeeks=4")
                .then().statusCode(200).extract().asString();
        CarePlan plan = fhirContext.newJsonParser().parseResource(CarePlan.class, json);
        OperationOutcome outcome = validator.validate(plan, CarePlanner.CAREPLAN_PROFILE);
        assertThat(outcome.getIssue())
                .filteredOn(i -> i.getSeverity().ordinal() <= OperationOutcome.IssueSeverity.ERROR.ordinal())
                .isEmpty();
    }

    public static String procedure(String patient, String cpt, String performed, String identifier) {
        return """
                {"resourceType":"Procedure",%s"status":"preparation",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"%s"}]},
                 "subject":{"reference":"Patient/%s"},"performedDateTime":"%s"}""".formatted(
                identifier == null ? "" : "\"identifier\":[{\"system\":\"urn:carepath:test:surgery\",\"value\":\""
                        + identifier + "\"}],", cpt, patient, performed);
    }
}
