package org.carepath.app;

import java.nio.file.Files;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JOSEObjectType;
import io.restassured.response.Response;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.carepath.EndToEndTest;
import org.carepath.TestTokens;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The patient app in a real browser (headless Chromium) against the real server with security
 * on: a SMART standalone launch (authorization code with PKCE) at the test authorization server,
 * today's Tasks of a patient enrolled by posting a Procedure, one marked done, a feverish
 * check-in and the alert instruction the server's monitoring gives. Screenshots of each screen go
 * to target/app-screenshots/.
 */
class PatientAppIT extends EndToEndTest {

    static final String SCOPE = "openid fhirUser launch/patient patient/*.read patient/Task.write"
            + " patient/QuestionnaireResponse.write";

    @Test
    void appIsServedWithoutTokenWhileTheApiStaysProtected() {
        String root = "http://localhost:" + port;
        given().redirects().follow(false).get(root + "/app")
                .then().statusCode(302).header("Location", containsString("/app/"));
        given().get(root + "/app/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("<script type=\"module\" src=\"js/main.js\">"));
        given().get(root + "/app/vendor/fhir-client.pure.min.js").then().statusCode(200);
        given().get(root + "/app/config.json").then().statusCode(200)
                .body("clientId", equalTo("carepath-patient-app")).body("scope", containsString("patient/Task.write"));
        anonymous().get("/Patient").then().statusCode(401);
    }

    @Test
    void patientSignsInSeesTodaysTasksCompletesOneAndIsToldWhatToDoAboutAFever() throws Exception {
        String patient = createPatient(unique("Appleby"), unique("mrn"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        fhir().body(surgery(patient, today)).post("/Procedure").then().statusCode(201);
        // The authorization server signs this patient in: the next token it issues names them.
        TestTokens.server().enqueueCallback(new DefaultOAuth2TokenCallback(TestTokens.ISSUER_ID, "patient-" + patient,
                JOSEObjectType.JWT.getType(), List.of(TestTokens.AUDIENCE),
                Map.of("scope", SCOPE, "client_id", "carepath-patient-app", "patient", patient,
                        "fhirUser", "Patient/" + patient), 3600));

        BrowserScript.Result run = BrowserScript.run(Map.of("baseUrl", "http://localhost:" + port, "mode", "smart",
                "completeTask", "Walking on the day of surgery", "feverishCheckIn", true,
                "screenshots", BrowserScript.SCREENSHOTS.toAbsolutePath().toString(), "prefix", "smart"));

        assertThat(run.exitStatus()).as(run.output()).isZero();
        assertThat(run.output()).contains("PASSED");
        // Today listed the day-of-surgery instructions; the one marked done is completed on the server.
        assertThat(run.lines("OK").stream().filter(l -> l.startsWith("today:")).findFirst().orElseThrow())
                .contains("Walking on the day of surgery", "Pain medicines after surgery");
        String taskId = run.lines("TASK_DONE").get(0);
        fhir().get("/Task/" + taskId).then().statusCode(200)
                .body("status", equalTo("completed")).body("for.reference", equalTo("Patient/" + patient))
                .body("meta.versionId", equalTo("2"));
        // The limits in force today come from the plan.
        assertThat(run.lines("LIMIT")).anyMatch(l -> l.startsWith("Limited weight on the operated side"))
                .anyMatch(l -> l.startsWith("No driving"));
        // The check-in was stored as the patient's answers, and the instruction shown is the server's.
        Response answers = fhir().get("/QuestionnaireResponse?subject=Patient/" + patient);
        answers.then().statusCode(200).body("total", equalTo(1))
                .body("entry[0].resource.questionnaire", equalTo("https://carepath.org/fhir/Questionnaire/recovery-check-in"));
        Response flags = fhir().get("/Flag?patient=" + patient + "&status=active");
        flags.then().statusCode(200).body("total", equalTo(1))
                .body("entry[0].resource.code.coding[0].code", equalTo("fever"));
        String instruction = flags.path("entry[0].resource.extension.find { it.url == '"
                + "https://carepath.org/fhir/StructureDefinition/alert-urgency' }.valueCoding.display");
        assertThat(run.lines("ALERT")).containsExactly(instruction + ".");
        for (String screen : List.of("1-sign-in", "2-today", "3-task-done", "4-plan", "5-check-in", "6-alert", "7-progress")) {
            assertThat(BrowserScript.SCREENSHOTS.resolve("smart-" + screen + ".png")).exists();
            assertThat(Files.size(BrowserScript.SCREENSHOTS.resolve("smart-" + screen + ".png"))).isPositive();
        }
    }

    /** The scheduled SI joint fusion, dated in days (today), as an EHR posts it. */
    static String surgery(String patient, LocalDate day) {
        return """
                {"resourceType":"Procedure","status":"preparation",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},
                 "subject":{"reference":"Patient/%s"},"performedDateTime":"%s"}""".formatted(patient, day);
    }
}
