package org.carepath.fhir;

import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

/** Create, read, vread, update, delete, with the headers and preferences FHIR defines for them. */
class ResourceInteractionsIT extends EndToEndTest {

    @Test
    void createAssignsAnIdAndAnswersWithLocationEtagAndLastModified() {
        String mrn = unique("mrn");
        var response = fhir().body(patientJson("Create", mrn)).post("/Patient").then()
                .statusCode(201)
                .header("Location", startsWith(baseUrl() + "/Patient/"))
                .header("Location", endsWith("/_history/1"))
                .header("ETag", equalTo("W/\"1\""))
                .header("Last-Modified", notNullValue())
                .body("resourceType", equalTo("Patient"))
                .body("meta.versionId", equalTo("1"))
                .body("meta.lastUpdated", notNullValue())
                .body("identifier[0].value", equalTo(mrn))
                .extract();
        String id = response.path("id");
        fhir().get("/Patient/" + id).then().statusCode(200)
                .header("ETag", equalTo("W/\"1\""))
                .header("Last-Modified", notNullValue())
                .body("id", equalTo(id))
                .body("name[0].family", equalTo("Create"));
    }

    @Test
    void createIgnoresAClientSuppliedId() {
        String id = fhir().body("{\"resourceType\":\"Patient\",\"id\":\"mine\"}").post("/Patient")
                .then().statusCode(201).extract().path("id");
        org.assertj.core.api.Assertions.assertThat(id).isNotEqualTo("mine");
    }

    @Test
    void updateCreatesWithTheClientIdThenAddsVersions() {
        String id = unique("client");
        fhir().body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":true}").put("/Patient/" + id)
                .then().statusCode(201).header("ETag", equalTo("W/\"1\""))
                .header("Location", endsWith("/Patient/" + id + "/_history/1"));
        fhir().body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":false}").put("/Patient/" + id)
                .then().statusCode(200).header("ETag", equalTo("W/\"2\"")).body("meta.versionId", equalTo("2"));

        fhir().get("/Patient/" + id).then().statusCode(200).body("active", equalTo(false));
        fhir().get("/Patient/" + id + "/_history/1").then().statusCode(200)
                .body("active", equalTo(true)).body("meta.versionId", equalTo("1"));
        fhir().get("/Patient/" + id + "/_history/3").then().statusCode(404)
                .body("resourceType", equalTo("OperationOutcome"));
    }

    @Test
    void ifMatchWithTheCurrentVersionUpdatesAndAStaleOneIsRefusedWith412() {
        String id = createPatient("Match", unique("mrn"));
        String body = "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":true}";
        fhir().header("If-Match", "W/\"1\"").body(body).put("/Patient/" + id)
                .then().statusCode(200).header("ETag", equalTo("W/\"2\""));
        fhir().header("If-Match", "W/\"1\"").body(body).put("/Patient/" + id)
                .then().statusCode(412).body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].diagnostics", containsString("version 2"));
        fhir().get("/Patient/" + id).then().body("meta.versionId", equalTo("2"));
    }

    @Test
    void ifNoneMatchWithTheCurrentVersionAnswers304() {
        String id = createPatient("NoneMatch", unique("mrn"));
        fhir().header("If-None-Match", "W/\"1\"").get("/Patient/" + id).then().statusCode(304);
        fhir().header("If-None-Match", "W/\"0\"").get("/Patient/" + id).then().statusCode(200);
    }

    @Test
    void deletedResourcesAreGoneButKeepTheirHistory() {
        String id = createPatient("Delete", unique("mrn"));
        fhir().delete("/Patient/" + id).then().statusCode(200).body("resourceType", equalTo("OperationOutcome"));
        fhir().get("/Patient/" + id).then().statusCode(410).body("resourceType", equalTo("OperationOutcome"));
        fhir().get("/Patient/" + id + "/_history/1").then().statusCode(200);
        fhir().get("/Patient/" + id + "/_history/2").then().statusCode(410);
        // Deleting again changes nothing; deleting what never existed is not an error either.
        fhir().delete("/Patient/" + id).then().statusCode(200);
        fhir().delete("/Patient/" + unique("never")).then().statusCode(200);
        // A deleted resource can be brought back by an update.
        fhir().body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}").put("/Patient/" + id)
                .then().statusCode(201).header("ETag", equalTo("W/\"3\""));
    }

    @Test
    void unknownIdsAnswer404WithAnOperationOutcome() {
        fhir().get("/Patient/" + unique("missing")).then().statusCode(404)
                .body("resourceType", equalTo("OperationOutcome"));
    }

    @Test
    void preferReturnMinimalSendsNoBody() {
        fhir().header("Prefer", "return=minimal").body(patientJson("Minimal", unique("mrn"))).post("/Patient")
                .then().statusCode(201).header("Location", containsString("/Patient/"))
                .body(emptyOrNullString());
    }

    @Test
    void preferReturnOperationOutcomeSendsAnOutcome() {
        fhir().header("Prefer", "return=OperationOutcome").body(patientJson("Outcome", unique("mrn")))
                .post("/Patient").then().statusCode(201)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].severity", equalTo("information"));
    }

    @Test
    void preferReturnRepresentationIsTheDefault() {
        fhir().header("Prefer", "return=representation").body(patientJson("Repr", unique("mrn")))
                .post("/Patient").then().statusCode(201).body("resourceType", equalTo("Patient"));
    }

    @Test
    void xmlIsServedOnAcceptAndOnFormat() {
        String id = createPatient("Xml", unique("mrn"));
        io.restassured.RestAssured.given().accept("application/fhir+xml").get("/Patient/" + id).then()
                .statusCode(200).contentType(containsString("application/fhir+xml"))
                .body(containsString("<Patient xmlns=\"http://hl7.org/fhir\">"));
        io.restassured.RestAssured.given().get("/Patient/" + id + "?_format=xml").then()
                .statusCode(200).body(containsString("<family value=\"Xml\"/>"));
        io.restassured.RestAssured.given().get("/Patient/" + id + "?_format=json&_pretty=true").then()
                .statusCode(200).body(containsString("\n"));
    }

    @Test
    void xmlBodiesAreAccepted() {
        String xml = "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"FromXml\"/></name></Patient>";
        String id = io.restassured.RestAssured.given().contentType("application/fhir+xml").accept(FHIR_JSON)
                .body(xml).post("/Patient").then().statusCode(201).extract().path("id");
        fhir().get("/Patient/" + id).then().body("name[0].family", equalTo("FromXml"));
    }

    @Test
    void everyResourceTypeIsServedByTheSameProvider() {
        String id = fhir().body("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},
                 "valueQuantity":{"value":37.2,"unit":"Cel","system":"http://unitsofmeasure.org","code":"Cel"}}""")
                .post("/Observation").then().statusCode(201).extract().path("id");
        fhir().get("/Observation/" + id).then().statusCode(200).body("valueQuantity.value", equalTo(37.2f));
        String planId = fhir().body("{\"resourceType\":\"PlanDefinition\",\"status\":\"draft\"}")
                .post("/PlanDefinition").then().statusCode(201).extract().path("id");
        fhir().get("/PlanDefinition/" + planId).then().statusCode(200);
    }
}
