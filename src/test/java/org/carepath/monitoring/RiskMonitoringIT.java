package org.carepath.monitoring;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Check-ins and scores of enrolled patients raise alerts for the care team, once, with their evidence. */
public class RiskMonitoringIT extends EndToEndTest {

    static final String PATHWAY = "https://carepath.org/fhir/CodeSystem/pathway";
    static final DateTimeFormatter AT = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    static String at(OffsetDateTime time) {
        return AT.format(time.truncatedTo(ChronoUnit.SECONDS));
    }

    public static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    /** A patient enrolled by a scheduled SI joint fusion on that date, with the surgeon's organization. */
    public static String enrolledPatient(OffsetDateTime surgery, String organization) {
        String patient = createPatient(unique("Monitor"), unique("mrn"));
        String performer = organization == null ? "" : "\"performer\":[{\"actor\":{\"reference\":\"Practitioner/surgeon\"},"
                + "\"onBehalfOf\":{\"reference\":\"Organization/" + organization + "\"}}],";
        String body = org.carepath.pathway.CarePlanApplyIT.procedure(patient, "27279", at(surgery), unique("surgery"))
                .replace("\"status\":\"preparation\",", "\"status\":\"preparation\"," + performer);
        fhir().body(body).post("/Procedure").then().statusCode(201);
        fhir().get("/CarePlan?subject=Patient/" + patient + "&status=active").then().body("total", equalTo(1));
        return patient;
    }

    public static String checkIn(String patient, OffsetDateTime authored, Map<String, Object> answers) {
        Map<String, Object> all = new LinkedHashMap<>();
        if (answers.containsKey("temperature")) {
            all.put("temperature", answers.get("temperature")); // in the Questionnaire's item order
        }
        for (String linkId : List.of("fever", "wound-redness-swelling-drainage", "joint-warmth-swelling",
                "leg-numbness-weakness", "bowel-bladder-change", "calf-pain-swelling", "chest-pain-breathless",
                "pain-uncontrolled")) {
            all.put(linkId, false);
        }
        all.put("pain-score", 3);
        all.putAll(answers);
        StringBuilder items = new StringBuilder();
        all.forEach((linkId, value) -> {
            String type = value instanceof Boolean ? "valueBoolean" : value instanceof Integer ? "valueInteger" : "valueDecimal";
            items.append(items.length() == 0 ? "" : ",").append("{\"linkId\":\"").append(linkId)
                    .append("\",\"answer\":[{\"").append(type).append("\":").append(value).append("}]}");
        });
        return """
                {"resourceType":"QuestionnaireResponse",
                 "questionnaire":"https://carepath.org/fhir/Questionnaire/recovery-check-in",
                 "status":"completed","subject":{"reference":"Patient/%s"},"authored":"%s",
                 "source":{"reference":"Patient/%s"},"item":[%s]}""".formatted(patient, at(authored), patient, items);
    }

    static String painScore(String patient, OffsetDateTime authored, int score) {
        return """
                {"resourceType":"QuestionnaireResponse","questionnaire":"https://carepath.org/fhir/Questionnaire/pain-nrs",
                 "status":"completed","subject":{"reference":"Patient/%s"},"authored":"%s",
                 "item":[{"linkId":"pain-score","answer":[{"valueInteger":%d}]}]}""".formatted(patient, at(authored), score);
    }

    public static String post(String body) {
        return fhir().body(body).post("/QuestionnaireResponse").then().statusCode(201).extract().path("id");
    }

    static JsonPath search(String query) {
        return fhir().get(query).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void aFeverishCheckInRaisesFlagRiskAssessmentAndAnUrgentTaskWithTheAnswersAsEvidence() {
        String organization = fhir().body("{\"resourceType\":\"Organization\",\"name\":\"Spine surgery\"}")
                .post("/Organization").then().statusCode(201).extract().path("id");
        String patient = enrolledPatient(now().minusDays(3), organization);
        String response = post(checkIn(patient, now(), Map.of("fever", true, "temperature", 38.6)));

        JsonPath flags = search("/Flag?patient=" + patient);
        assertThat(flags.getInt("total")).isEqualTo(1);
        assertThat(flags.getString("entry[0].resource.status")).isEqualTo("active");
        assertThat(flags.getList("entry[0].resource.code.coding.code")).contains("fever", "386661006");
        assertThat(flags.getList("entry[0].resource.meta.profile.flatten()")).contains(Alerts.FLAG_PROFILE);
        assertThat(flags.getString("entry[0].resource.extension.find { it.url.endsWith('/alert-urgency') }.valueCoding.code"))
                .isEqualTo("urgent");
        assertThat(flags.getString("entry[0].resource.period.start")).isNotBlank();
        String flagId = flags.getString("entry[0].resource.id");

        JsonPath risks = search("/RiskAssessment?subject=Patient/" + patient);
        assertThat(risks.getInt("total")).isEqualTo(1);
        assertThat(risks.getList("entry[0].resource.basis.reference")).containsExactly("QuestionnaireResponse/" + response);
        assertThat(risks.getString("entry[0].resource.basis[0].display")).contains("fever: yes", "temperature: 38.6");
        assertThat(risks.getString("entry[0].resource.prediction[0].outcome.coding[0].code")).isEqualTo("386661006");
        assertThat(flags.getString("entry[0].resource.extension.find { it.url.endsWith('/flag-detail') }.valueReference.reference"))
                .isEqualTo("RiskAssessment/" + risks.getString("entry[0].resource.id"));

        // The server writes its own alerts without the write-time profile check: they must conform.
        assertConformsToItsProfiles("Flag/" + flagId);
        assertConformsToItsProfiles("RiskAssessment/" + risks.getString("entry[0].resource.id"));

        JsonPath tasks = search("/Task?patient=" + patient + "&intent=order");
        assertThat(tasks.getInt("total")).isEqualTo(1);
        assertThat(tasks.getString("entry[0].resource.priority")).isEqualTo("asap");
        assertThat(tasks.getString("entry[0].resource.status")).isEqualTo("requested");
        assertThat(tasks.getString("entry[0].resource.focus.reference")).isEqualTo("Flag/" + flagId);
        assertThat(tasks.getString("entry[0].resource.owner.reference")).isEqualTo("Organization/" + organization);
        assertThat(tasks.getString("entry[0].resource.description")).contains("fever");
        assertThat(tasks.getList("entry[0].resource.input.valueReference.reference"))
                .containsExactly("QuestionnaireResponse/" + response);
        fhir().get("/Task?owner=Organization/" + organization + "&status=requested&priority=asap")
                .then().body("total", equalTo(1));

        // the answers are also searchable as Observations
        JsonPath temperature = search("/Observation?patient=" + patient + "&code=http://loinc.org|8310-5");
        assertThat(temperature.getInt("total")).isEqualTo(1);
        assertThat(temperature.getFloat("entry[0].resource.valueQuantity.value")).isEqualTo(38.6f);
        assertThat(temperature.getString("entry[0].resource.valueQuantity.code")).isEqualTo("Cel");
        assertThat(temperature.getList("entry[0].resource.derivedFrom.reference")).containsExactly("QuestionnaireResponse/" + response);
        fhir().get("/Observation?patient=" + patient + "&code=http://loinc.org|72514-3").then()
                .body("total", equalTo(1)).body("entry[0].resource.valueInteger", equalTo(3));
    }

    /**
     * Within one transaction the monitor looks the enrolment up once and keeps it; the surgery
     * written between two check-ins of the same Bundle must still count for the second one.
     */
    @Test
    void aCheckInAfterTheSurgeryInTheSameTransactionIsMonitoredAndOneBeforeIsNot() {
        String patient = createPatient(unique("Monitor"), unique("mrn"));
        String before = checkIn(patient, now().minusMinutes(5), Map.of("fever", true, "temperature", 38.9));
        String procedure = org.carepath.pathway.CarePlanApplyIT.procedure(patient, "27279", at(now().minusDays(3)),
                unique("surgery"));
        String after = checkIn(patient, now(), Map.of("fever", true, "temperature", 38.6));
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"resource":%s,"request":{"method":"POST","url":"QuestionnaireResponse"}},
                 {"resource":%s,"request":{"method":"POST","url":"Procedure"}},
                 {"resource":%s,"request":{"method":"POST","url":"QuestionnaireResponse"}}]}"""
                .formatted(before, procedure, after);
        JsonPath response = fhir().body(bundle).post("/").then().statusCode(200).extract().jsonPath();
        String afterId = response.getString("entry[2].response.location").split("/")[1];

        JsonPath risks = search("/RiskAssessment?subject=Patient/" + patient);
        assertThat(risks.getInt("total")).isEqualTo(1);
        assertThat(risks.getList("entry[0].resource.basis.reference")).containsExactly("QuestionnaireResponse/" + afterId);
        assertThat(search("/Flag?patient=" + patient).getInt("total")).isEqualTo(1);
    }

    @Test
    void calmAnswersRaiseNothing() {
        String patient = enrolledPatient(now().minusDays(2), null);
        post(checkIn(patient, now(), Map.of("temperature", 37.1)));
        assertThat(search("/Flag?patient=" + patient).getInt("total")).isZero();
        assertThat(search("/RiskAssessment?subject=Patient/" + patient).getInt("total")).isZero();
        assertThat(search("/Task?patient=" + patient + "&intent=order").getInt("total")).isZero();
        assertThat(search("/Observation?patient=" + patient + "&code=http://loinc.org|8310-5").getInt("total")).isOne();
    }

    @Test
    void theSameAnswersTwiceRaiseOnceAndAResolvedAlertIsNotRaisedAgainByThem() {
        String patient = enrolledPatient(now().minusDays(4), null);
        String answers = checkIn(patient, now().minusHours(1), Map.of("wound-redness-swelling-drainage", true));
        post(answers);
        post(answers);
        JsonPath flags = search("/Flag?patient=" + patient);
        assertThat(flags.getInt("total")).isEqualTo(1);
        assertThat(search("/Task?patient=" + patient + "&intent=order").getInt("total")).isEqualTo(1);

        // the care team resolves the alert; the same answers arrive once more
        String flagId = flags.getString("entry[0].resource.id");
        String resolved = fhir().get("/Flag/" + flagId).then().extract().asString()
                .replace("\"status\":\"active\"", "\"status\":\"inactive\"");
        fhir().body(resolved).put("/Flag/" + flagId).then().statusCode(200);
        post(answers);
        assertThat(search("/Flag?patient=" + patient).getInt("total")).isEqualTo(1);

        // new answers with the same sign raise a new alert
        post(checkIn(patient, now(), Map.of("wound-redness-swelling-drainage", true)));
        assertThat(search("/Flag?patient=" + patient).getList("entry.resource.status"))
                .containsExactlyInAnyOrder("active", "inactive");
    }

    @Test
    void signsOfABloodClotAreAnEmergencyAndThePatientIsToldToCallEmergencyServices() {
        String patient = enrolledPatient(now().minusDays(5), null);
        post(checkIn(patient, now(), Map.of("calf-pain-swelling", true)));
        JsonPath tasks = search("/Task?patient=" + patient + "&intent=order");
        assertThat(tasks.getInt("total")).isEqualTo(1);
        assertThat(tasks.getString("entry[0].resource.priority")).isEqualTo("stat");
        assertThat(tasks.getString("entry[0].resource.input.find { it.type.text == 'patient-instruction' }.valueString"))
                .startsWith("Call emergency services now");
        JsonPath messages = search("/Communication?recipient=Patient/" + patient);
        assertThat(messages.getInt("total")).isEqualTo(1);
        assertThat(messages.getString("entry[0].resource.payload[0].contentString")).startsWith("Call emergency services now");
        assertThat(search("/Flag?patient=" + patient).getList("entry.resource.code.coding.flatten().code"))
                .contains("suspected-dvt-pe", "128053003");
    }

    @Test
    void aWeekSixPainScoreNoBetterThanBaselineRaisesThePoorRecoveryAlert() {
        OffsetDateTime surgery = now().minusDays(43);
        String patient = enrolledPatient(surgery, null);
        post(painScore(patient, surgery.minusDays(14), 7)); // before surgery: the baseline
        String weekSix = post(painScore(patient, now(), 7));

        JsonPath flags = search("/Flag?patient=" + patient);
        assertThat(flags.getInt("total")).isEqualTo(1);
        assertThat(flags.getList("entry[0].resource.code.coding.code")).contains("poor-pain-recovery");
        JsonPath risk = search("/RiskAssessment?subject=Patient/" + patient);
        List<String> basis = risk.getList("entry[0].resource.basis.reference");
        assertThat(basis).hasSize(3).contains("QuestionnaireResponse/" + weekSix);
        assertThat(basis.stream().filter(b -> b.startsWith("Observation/"))).hasSize(2);
        assertThat(search("/Task?patient=" + patient + "&intent=order").getString("entry[0].resource.priority"))
                .isEqualTo("urgent");

        // a patient whose pain improved by a clinically important change raises nothing
        String better = enrolledPatient(surgery, null);
        post(painScore(better, surgery.minusDays(14), 7));
        post(painScore(better, now(), 4));
        assertThat(search("/Flag?patient=" + better).getInt("total")).isZero();
    }

    @Test
    void answersOfAPatientNotOnThePathwayRaiseNothing() {
        String patient = createPatient(unique("Monitor"), unique("mrn"));
        post(checkIn(patient, now(), Map.of("fever", true)));
        assertThat(search("/Flag?patient=" + patient).getInt("total")).isZero();
        assertThat(search("/Observation?patient=" + patient + "&code=http://loinc.org|72514-3").getInt("total")).isOne();
    }

    static String odi(String patient, OffsetDateTime authored, int... sections) {
        List<String> linkIds = List.of("odi-pain-intensity", "odi-personal-care", "odi-lifting", "odi-walking", "odi-sitting",
                "odi-standing", "odi-sleeping", "odi-sex-life", "odi-social-life", "odi-travelling");
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < sections.length; i++) {
            items.append(i == 0 ? "" : ",").append("{\"linkId\":\"").append(linkIds.get(i)).append("\",\"answer\":[{\"valueCoding\":"
                    + "{\"system\":\"https://carepath.org/fhir/CodeSystem/odi-response\",\"code\":\"").append(sections[i]).append("\"}}]}");
        }
        return """
                {"resourceType":"QuestionnaireResponse",
                 "questionnaire":"https://carepath.org/fhir/Questionnaire/oswestry-disability-index",
                 "status":"completed","subject":{"reference":"Patient/%s"},"authored":"%s",
                 "item":[{"linkId":"odi-sections","item":[%s]}]}""".formatted(patient, at(authored), items);
    }

    @Test
    void anOdiNotFifteenPointsBetterAtSixMonthsRaisesThePoorFunctionAlert() {
        OffsetDateTime surgery = now().minusMonths(6).minusDays(2);
        String patient = enrolledPatient(surgery, null);
        post(odi(patient, surgery.minusDays(10), 3, 3, 3, 3, 3, 3, 3, 3, 3, 3));   // 60 before surgery
        String sixMonths = post(odi(patient, now(), 3, 3, 3, 3, 3, 3, 3, 2, 2, 2)); // 54: 6 points better
        // the score is calculated from the sections (the item's cqf-expression) and recorded as an Observation
        JsonPath scores = search("/Observation?patient=" + patient + "&code=http://loinc.org|97909-6&_sort=date");
        assertThat(scores.getList("entry.resource.valueQuantity.value", Float.class)).containsExactly(60f, 54f);
        JsonPath flags = search("/Flag?patient=" + patient);
        assertThat(flags.getInt("total")).isEqualTo(1);
        assertThat(flags.getList("entry[0].resource.code.coding.code")).contains("poor-function-recovery");
        assertThat(search("/RiskAssessment?subject=Patient/" + patient).getList("entry[0].resource.basis.reference"))
                .contains("QuestionnaireResponse/" + sixMonths);

        String better = enrolledPatient(surgery, null);
        post(odi(better, surgery.minusDays(10), 3, 3, 3, 3, 3, 3, 3, 3, 3, 3));
        post(odi(better, now(), 2, 2, 2, 2, 2, 2, 2, 2, 2, 0));                    // 36: 24 points better
        assertThat(search("/Flag?patient=" + better).getInt("total")).isZero();
    }

    @Test
    void aRuleAddedThroughTheApiIsEvaluatedWithoutACodeChangeUntilItIsRetired() throws java.io.IOException {
        String id = unique("alert-severe-pain");
        String rule;
        try (var in = getClass().getClassLoader().getResourceAsStream(
                "fhir-profiles/resources/PlanDefinition-alert-uncontrolled-pain.json")) {
            rule = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("\"id\": \"alert-uncontrolled-pain\"", "\"id\": \"" + id + "\"")
                    .replace("PlanDefinition/alert-uncontrolled-pain", "PlanDefinition/" + id)
                    .replace("\"name\": \"AlertUncontrolledPain\"", "\"name\": \"AlertSeverePainTest\"")
                    .replace("%resource.item.where(linkId = 'pain-uncontrolled').answer.where(value = true).exists()",
                            "%resource.item.where(linkId = 'pain-score').answer.where(value >= 9).exists()");
        }
        // a rule the engine cannot evaluate is refused, and nothing is stored
        fhir().body(rule.replace("answer.where(value >= 9).exists()", "answer.where(value >= ).exists()"))
                .put("/PlanDefinition/" + id).then().statusCode(422)
                .body("issue[0].diagnostics", org.hamcrest.Matchers.containsString("Invalid FHIRPath"));
        fhir().get("/PlanDefinition/" + id).then().statusCode(404);
        fhir().body(rule).put("/PlanDefinition/" + id).then().statusCode(201);
        String patient = enrolledPatient(now().minusDays(2), null);
        post(checkIn(patient, now(), Map.of("pain-score", 9)));
        fhir().get("/Flag?patient=" + patient + "&identifier=" + Alerts.RULE_IDENTIFIER + "|" + id)
                .then().body("total", equalTo(1));

        fhir().body(rule.replace("\"status\": \"active\"", "\"status\": \"retired\"")).put("/PlanDefinition/" + id)
                .then().statusCode(200);
        String later = enrolledPatient(now().minusDays(2), null);
        post(checkIn(later, now(), Map.of("pain-score", 10)));
        assertThat(search("/Flag?patient=" + later).getInt("total")).isZero();
    }
}
