package org.carepath.pathway;

import java.util.List;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.carepath.validation.ProfileValidator;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** The pathway content is loaded at start-up, served, searchable, and enforced on write. */
class PathwayContentIT extends EndToEndTest {

    private static final String PATHWAY = "https://carepath.org/fhir/PlanDefinition/si-joint-fusion";

    @Autowired
    PathwayContentLoader loader;

    @Autowired
    ProfileValidator validator;

    @Test
    void theContentIsServedAndSearchableAfterStartUp() {
        fhir().get("/PlanDefinition?url=" + PATHWAY).then().statusCode(200).body("total", equalTo(1))
                .body("entry[0].resource.status", equalTo("active"));
        fhir().get("/PlanDefinition/si-joint-fusion").then().statusCode(200).body("url", equalTo(PATHWAY));
        JsonPath pain = fhir().get("/Questionnaire?code=http://loinc.org|72514-3").then().statusCode(200)
                .extract().jsonPath();
        assertThat(pain.getList("entry.resource.url", String.class)).isNotEmpty()
                .allMatch(url -> url.startsWith("https://carepath.org/fhir/Questionnaire/"));
        List<String> profiles = fhir().get("/StructureDefinition?type=Procedure&derivation=constraint").then()
                .statusCode(200).extract().jsonPath().getList("entry.resource.url");
        assertThat(profiles).contains("https://carepath.org/fhir/StructureDefinition/si-fusion-procedure");
    }

    @Test
    void loadingAgainWritesNothingNew() {
        String before = fhir().get("/PlanDefinition/si-joint-fusion").then().extract().path("meta.versionId");
        PathwayContentLoader.Report again = loader.load();
        assertThat(again.written()).isZero();
        assertThat(again.unchanged()).isEqualTo(validator.content().getDefinitions().size());
        // What the last load left is recorded: nothing had to be read and compared again.
        assertThat(again.compared()).isZero();
        fhir().get("/PlanDefinition/si-joint-fusion").then().body("meta.versionId", equalTo(before));
        fhir().get("/PlanDefinition?url=" + PATHWAY).then().body("total", equalTo(1));
    }

    @Test
    void contentEditedOrDeletedThroughTheApiIsRestoredByTheNextLoad() {
        loader.load();
        String edited = fhir().get("/ActivityDefinition/go-home").then().statusCode(200).extract().asString()
                .replace("\"title\":\"Going home\"", "\"title\":\"Edited through the API\"");
        assertThat(edited).contains("Edited through the API");
        fhir().body(edited).put("/ActivityDefinition/go-home").then().statusCode(200);
        fhir().delete("/ValueSet/warning-signs").then().statusCode(200);
        fhir().get("/ValueSet/warning-signs").then().statusCode(410);

        PathwayContentLoader.Report restored = loader.load();
        assertThat(restored.written()).isEqualTo(2);
        assertThat(restored.compared()).isEqualTo(2);
        fhir().get("/ActivityDefinition/go-home").then().statusCode(200).body("title", equalTo("Going home"));
        fhir().get("/ValueSet/warning-signs").then().statusCode(200).body("id", equalTo("warning-signs"));

        PathwayContentLoader.Report again = loader.load();
        assertThat(again.written()).isZero();
        assertThat(again.compared()).isZero();
    }

    @Test
    void contentWhosePackagedFileChangedIsComparedAgain() {
        loader.load();
        // As if the packaged file of one resource had changed since the last load.
        jdbc.update("UPDATE pathway_content_load SET file_digest = 'older' WHERE res_type = 'CodeSystem' AND res_id = 'pathway'");
        String before = fhir().get("/CodeSystem/pathway").then().statusCode(200).extract().path("meta.versionId");

        PathwayContentLoader.Report report = loader.load();
        assertThat(report.compared()).isEqualTo(1);
        assertThat(report.written()).isZero(); // its content is the same as stored: no new version
        fhir().get("/CodeSystem/pathway").then().body("meta.versionId", equalTo(before));
        assertThat(loader.load().compared()).isZero();
    }

    @Test
    void validateAnswersWithTheIssuesOfTheProfile() {
        String procedure = """
                {"resourceType":"Procedure","meta":{"profile":["https://carepath.org/fhir/StructureDefinition/si-fusion-procedure"]},
                 "status":"completed","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27096"}]},
                 "subject":{"reference":"Patient/p"}}""";
        JsonPath outcome = fhir().body(procedure).post("/Procedure/$validate").then().statusCode(200)
                .body("resourceType", equalTo("OperationOutcome")).extract().jsonPath();
        assertThat(outcome.getList("issue.severity")).contains("error");

        JsonPath plain = fhir().body("{\"resourceType\":\"Patient\",\"active\":true}").post("/Patient/$validate")
                .then().statusCode(200).extract().jsonPath();
        assertThat(plain.getList("issue.severity")).doesNotContain("error");

        String stored = createPatient("Valid", unique("mrn"));
        fhir().body("{\"resourceType\":\"Patient\",\"id\":\"" + stored + "\",\"gender\":\"female\"}")
                .post("/Patient/" + stored + "/$validate").then().statusCode(200)
                .body("resourceType", equalTo("OperationOutcome"));

        fhir().body("{\"resourceType\":\"Patient\",\"active\":true}")
                .post("/Patient/$validate?profile=https://carepath.org/fhir/StructureDefinition/nonexistent")
                .then().statusCode(200).body("issue[0].severity", equalTo("error"));
    }

    @Test
    void aWriteClaimingAPathwayProfileMustConform() {
        String mrn = unique("mrn");
        String broken = """
                {"resourceType":"Procedure","meta":{"profile":["https://carepath.org/fhir/StructureDefinition/si-fusion-procedure"]},
                 "identifier":[{"system":"urn:carepath:test:proc","value":"%s"}],
                 "status":"completed","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},
                 "subject":{"reference":"Patient/p"}}""".formatted(mrn);
        fhir().body(broken).post("/Procedure").then().statusCode(422)
                .body("resourceType", equalTo("OperationOutcome")).body("issue[0].severity", equalTo("error"));
        fhir().get("/Procedure?identifier=urn:carepath:test:proc|" + mrn).then().body("total", equalTo(0));
        // The same content without the claim is an ordinary Procedure.
        fhir().body(broken.replace("\"meta\":{\"profile\":[\"https://carepath.org/fhir/StructureDefinition/si-fusion-procedure\"]},", ""))
                .post("/Procedure").then().statusCode(201);
    }

    @Test
    void theExamplesOfEveryProfileAreAccepted() {
        for (var example : validator.content().getExampleFiles()) {
            String type = example.resource().fhirType();
            String id = fhir().body(example.text().replaceFirst("\"id\"\\s*:\\s*\"[^\"]*\",?", ""))
                    .post("/" + type).then().statusCode(201).extract().path("id");
            assertThat(id).as(example.fileName()).isNotBlank();
        }
    }

    @Test
    void answersToAPathwayQuestionnaireAreCheckedAgainstItWithoutADeclaredProfile() {
        String missingRequired = """
                {"resourceType":"QuestionnaireResponse","status":"completed",
                 "questionnaire":"https://carepath.org/fhir/Questionnaire/recovery-check-in",
                 "subject":{"reference":"Patient/p"},"authored":"2026-05-01T10:00:00Z",
                 "item":[{"linkId":"pain-score","answer":[{"valueInteger":3}]}]}""";
        fhir().body(missingRequired).post("/QuestionnaireResponse").then().statusCode(422)
                .body("issue.diagnostics.join(' ')", containsString("required"));
    }
}
