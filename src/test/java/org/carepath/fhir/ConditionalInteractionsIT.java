package org.carepath.fhir;

import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Conditional create, update and delete, decided by search criteria. */
class ConditionalInteractionsIT extends EndToEndTest {

    private static final String SYSTEM = "urn:carepath:test:mrn";

    @Test
    void conditionalCreateReturnsTheExistingMatchInsteadOfCreatingAnother() {
        String mrn = unique("mrn");
        String first = fhir().header("If-None-Exist", "identifier=" + SYSTEM + "|" + mrn)
                .body(patientJson("Cond", mrn)).post("/Patient").then().statusCode(201).extract().path("id");
        String second = fhir().header("If-None-Exist", "identifier=" + SYSTEM + "|" + mrn)
                .body(patientJson("Cond", mrn)).post("/Patient").then().statusCode(200).extract().path("id");
        assertThat(second).isEqualTo(first);
        fhir().get("/Patient?identifier=" + SYSTEM + "|" + mrn).then().body("total", equalTo(1));
    }

    @Test
    void conditionalCreateMatchingSeveralIsRefusedWith412() {
        String family = unique("Twin");
        createPatient(family, unique("mrn"));
        createPatient(family, unique("mrn"));
        fhir().header("If-None-Exist", "family=" + family).body(patientJson(family, unique("mrn")))
                .post("/Patient").then().statusCode(412).body("resourceType", equalTo("OperationOutcome"));
    }

    @Test
    void conditionalCriteriaWithAnUnknownParameterAreRefusedRatherThanIgnored() {
        fhir().header("If-None-Exist", "shoeSize=42").body(patientJson("Shoe", unique("mrn")))
                .post("/Patient").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("shoeSize"));
    }

    @Test
    void conditionalUpdateCreatesWhenNothingMatchesAndUpdatesTheMatchOtherwise() {
        String mrn = unique("mrn");
        String criteria = "/Patient?identifier=" + SYSTEM + "|" + mrn;
        String id = fhir().body(patientJson("Before", mrn)).put(criteria).then().statusCode(201)
                .extract().path("id");
        fhir().body(patientJson("After", mrn)).put(criteria).then().statusCode(200)
                .body("id", equalTo(id)).body("meta.versionId", equalTo("2"));
        fhir().get("/Patient/" + id).then().body("name[0].family", equalTo("After"));
    }

    @Test
    void conditionalDeleteRemovesTheOneMatch() {
        String mrn = unique("mrn");
        String id = createPatient("Doomed", mrn);
        fhir().delete("/Patient?identifier=" + SYSTEM + "|" + mrn).then().statusCode(200);
        fhir().get("/Patient/" + id).then().statusCode(410);
    }
}
