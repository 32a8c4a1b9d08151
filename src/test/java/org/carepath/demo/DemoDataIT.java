package org.carepath.demo;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import org.carepath.EndToEndTest;
import org.carepath.PackagedServer;
import org.carepath.app.BrowserScript;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The demo data of scripts/run's local trial: written once, through the API's own write path (so
 * enrolment planned the patients and their check-ins became Observations); and the packaged server
 * started as scripts/run starts it (security off, demo data on), where the patient app opens a
 * demo patient from its patient picker.
 */
class DemoDataIT extends EndToEndTest {

    @Autowired
    ResourceInteractions interactions;

    @Autowired
    TransactionRunner transactions;

    @Autowired
    FhirContext fhirContext;

    @Test
    void demoPatientsAreEnrolledOnceWithTasksDueTodayAndCheckInsToChart() {
        DemoData demoData = new DemoData(interactions, transactions, fhirContext);
        demoData.load(); // writes them, unless the packaged server of the other test did already
        String ann = onlyPatient("ann");
        String ben = onlyPatient("ben");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);

        // Ann: surgery in 10 days, so her preparation is due today.
        fhir().get("/CarePlan?subject=Patient/" + ann + "&status=active").then().body("total", equalTo(1));
        fhir().get("/Task?patient=" + ann + "&intent=plan&status=requested&period=ge" + today + "&period=le" + today
                + "&_count=100").then().statusCode(200)
                .body("entry.resource.focus.display", hasItem("Stop smoking"))
                .body("entry.resource.focus.display", hasItem("Arrange a driver home"));
        fhir().get("/Procedure?subject=Patient/" + ann).then()
                .body("entry[0].resource.status", equalTo("preparation"))
                .body("entry[0].resource.performedDateTime", equalTo(today.plusDays(10).toString()));

        // Ben: 40 days after surgery, with his pain scores and ODI as Observations.
        fhir().get("/Procedure?subject=Patient/" + ben).then()
                .body("entry[0].resource.status", equalTo("completed"))
                .body("entry[0].resource.performedDateTime", equalTo(today.minusDays(40).toString()));
        Response pain = fhir().get("/Observation?patient=" + ben + "&code=http://loinc.org|72514-3&_sort=date&_count=50");
        List<Integer> scores = pain.path("entry.resource.valueInteger");
        assertThat(scores).containsExactly(8, 7, 7, 6, 6, 5, 5, 4, 4, 3);
        Response odi = fhir().get("/Observation?patient=" + ben + "&code=http://loinc.org|97909-6&_sort=date");
        List<Number> odiScores = odi.path("entry.resource.valueQuantity.value");
        assertThat(odiScores).extracting(Number::intValue).containsExactly(56, 36);
        fhir().get("/Flag?patient=" + ben).then().body("total", equalTo(0)); // a recovery on track raises nothing
        fhir().get("/Task?patient=" + ben + "&intent=plan&status=requested&_count=100").then()
                .body("entry.resource.focus.display", hasItem("Recovery check-in"));

        // A restart writes nothing new.
        int patients = storedCount("Patient");
        int responses = storedCount("QuestionnaireResponse");
        assertThat(demoData.load()).isEmpty();
        assertThat(storedCount("Patient")).isEqualTo(patients);
        assertThat(storedCount("QuestionnaireResponse")).isEqualTo(responses);
        onlyPatient("ann");
        onlyPatient("ben");
    }

    @Test
    void appOnTheLocalTrialServerPicksADemoPatientAndChartsTheirRecovery() throws Exception {
        int trialPort = PackagedServer.freePort();
        String log = "target/demo-trial-server.log";
        // What scripts/run sets when no token issuer is configured.
        Process server = PackagedServer.start(trialPort, log, Map.of("CAREPATH_SECURITY_ENABLED", "false",
                "CAREPATH_DEMO_DATA", "true", "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", ""));
        BrowserScript.Result run;
        try {
            String root = "http://localhost:" + trialPort;
            PackagedServer.waitForMetadata(root + "/fhir", server, log);
            // Ready once the demo data is written (it is written before the server reports ready).
            for (int i = 0; i < 240 && given().get(root + "/actuator/health/readiness").statusCode() != 200; i++) {
                Thread.sleep(500);
            }
            run = BrowserScript.run(Map.of("baseUrl", root, "mode", "picker", "patientName", "Ben", "expectPoints", 10,
                    "screenshots", BrowserScript.SCREENSHOTS.toAbsolutePath().toString(), "prefix", "demo"));
        } finally {
            server.destroy();
            server.waitFor();
        }

        assertThat(run.exitStatus()).as(run.output()).isZero();
        assertThat(run.output()).contains("PASSED", "opened Ben Demo-Okafor", "POINTS pain=10 odi=2");
        assertThat(run.lines("NEXT")).singleElement().asString().contains("Back to desk work");
        assertThat(run.lines("LIMIT")).anyMatch(l -> l.startsWith("No bending, heavy lifting or twisting"));
        assertThat(BrowserScript.SCREENSHOTS.resolve("demo-7-progress.png")).exists();
    }

    private String onlyPatient(String key) {
        Response found = fhir().get("/Patient?identifier=" + DemoData.IDENTIFIER_SYSTEM + "|" + key);
        found.then().statusCode(200).body("total", equalTo(1));
        return found.path("entry[0].resource.id");
    }
}
