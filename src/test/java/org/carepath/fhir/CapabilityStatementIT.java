package org.carepath.fhir;

import java.util.List;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** /metadata describes what the server does, and nothing it does not. */
class CapabilityStatementIT extends EndToEndTest {

    @Test
    void listsEveryResourceTypeWithTheInteractionsImplemented() {
        JsonPath cs = fhir().get("/metadata").then().statusCode(200).extract().jsonPath();
        assertThat(cs.getString("fhirVersion")).isEqualTo("4.0.1");
        assertThat(cs.getString("kind")).isEqualTo("instance");
        assertThat(cs.getList("format", String.class)).contains("application/fhir+json", "application/fhir+xml");
        List<String> types = cs.getList("rest[0].resource.type");
        assertThat(types).contains("Patient", "CarePlan", "Procedure", "Questionnaire", "Task", "Flag")
                .hasSize(146);

        String patient = "rest[0].resource.find { it.type == 'Patient' }";
        assertThat(cs.getList(patient + ".interaction.code", String.class)).containsExactlyInAnyOrder(
                "read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type");
        assertThat(cs.getString(patient + ".versioning")).isEqualTo("versioned-update");
        assertThat(cs.getBoolean(patient + ".updateCreate")).isTrue();
        assertThat(cs.getBoolean(patient + ".conditionalCreate")).isTrue();
        assertThat(cs.getString(patient + ".conditionalUpdate")).isEqualTo("true");
        assertThat(cs.getString(patient + ".conditionalDelete")).isEqualTo("single");

        assertThat(cs.getList("rest[0].interaction.code", String.class))
                .containsExactlyInAnyOrder("transaction", "batch", "history-system", "search-system");
        assertThat(cs.getList("rest[0].searchParam.name", String.class))
                .containsExactlyInAnyOrder("_id", "_lastUpdated", "_tag", "_profile", "_security", "_type");
        // The same on every start: in name order, whatever order HAPI's model scan took.
        assertThat(cs.getList(patient + ".searchParam.name", String.class)).isSorted().contains("_id", "birthdate");
        assertThat(cs.getList(patient + ".searchInclude", String.class)).isSorted().contains("Patient:*");
        assertThat(cs.getList(patient + ".searchRevInclude", String.class)).isSorted().contains("CarePlan:subject");
        assertThat(cs.getList(patient + ".operation.name", String.class)).contains("everything");
        assertThat(cs.getList("rest[0].resource.find { it.type == 'Observation' }.operation.name", String.class))
                .doesNotContain("everything");
        String definition = cs.getString(patient + ".operation.find { it.name == 'everything' }.definition");
        JsonPath operation = given().urlEncodingEnabled(false).accept(FHIR_JSON).get(definition).then().statusCode(200)
                .extract().jsonPath();
        assertThat(operation.getList("parameter.findAll { it.use == 'in' }.name", String.class))
                .containsExactlyInAnyOrder("_since", "_type", "_count");
    }
}
