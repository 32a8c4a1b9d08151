package org.carepath.demo;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import io.restassured.response.Response;
import org.carepath.EndToEndTest;
import org.carepath.app.BrowserScript;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The local trial of scripts/run: security off and demo data on. The demo patients are written
 * once, through the API's own write path (so enrolment planned them and check-ins became
 * Observations), and the patient app opens them from its patient picker.
 */
@TestPropertySource(properties = {"carepath.security.enabled=false", "carepath.demo-data=true"})
class DemoDataIT extends EndToEndTest {

    @Autowired
    DemoData demoData;

    @Test
    void demoPatientsAreEnrolledOnceWithTasksDueTodayAndCheckInsToChart() {
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
    void appWithSecurityOffPicksADemoPatientAndChartsTheirRecovery() throws Exception {
        BrowserScript.Result run = BrowserScript.run(Map.of("baseUrl", "http://localhost:" + port, "mode", "picker",
                "patientName", "Ben", "expectPoints", 10,
                "screenshots", BrowserScript.SCREENSHOTS.toAbsolutePath().toString(), "prefix", "demo"));

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
