package org.carepath.fhir;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Batch and transaction Bundles posted to the base URL. */
class BundleInteractionsIT extends EndToEndTest {

    @Test
    void transactionResolvesUrnUuidReferencesToTheNewIds() {
        String mrn = unique("mrn");
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
                   "resource":{"resourceType":"Procedure","status":"preparation",
                               "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},
                               "subject":{"reference":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"}},
                   "request":{"method":"POST","url":"Procedure"}},
                  {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
                   "resource":%s,
                   "request":{"method":"POST","url":"Patient"}}]}""".formatted(patientJson("Txn", mrn));
        JsonPath response = fhir().body(bundle).post("/").then().statusCode(200)
                .body("type", equalTo("transaction-response")).extract().jsonPath();
        assertThat(response.getList("entry.response.status")).containsExactly("201 Created", "201 Created");
        String procedureLocation = response.getString("entry[0].response.location");
        String patientId = response.getString("entry[1].resource.id");
        assertThat(procedureLocation).startsWith("Procedure/").endsWith("/_history/1");

        String procedureId = procedureLocation.split("/")[1];
        fhir().get("/Procedure/" + procedureId).then().statusCode(200)
                .body("subject.reference", equalTo("Patient/" + patientId));
        fhir().get("/Procedure?subject=Patient/" + patientId).then().body("total", equalTo(1));
    }

    @Test
    void aFailingEntryRollsBackTheWholeTransaction() {
        String family = unique("Rollback");
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"resource":%s,"request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"Patient","id":"x"},
                   "request":{"method":"PUT","url":"Patient/x","ifMatch":"W/\\"7\\""}}]}"""
                .formatted(patientJson(family, unique("mrn")));
        fhir().body(bundle).post("/").then().statusCode(412)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].diagnostics", containsString("Bundle entry 1"));
        fhir().get("/Patient?family=" + family).then().body("total", equalTo(0));
    }

    @Test
    void transactionEntriesMayBeConditional() {
        String mrn = unique("mrn");
        String existing = createPatient("Existing", mrn);
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:0b1f8ee6-4f5c-4c6f-9a43-9f0c7a0f4a11","resource":%s,
                   "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:carepath:test:mrn|%s"}},
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"note"},
                               "subject":{"reference":"urn:uuid:0b1f8ee6-4f5c-4c6f-9a43-9f0c7a0f4a11"}},
                   "request":{"method":"POST","url":"Observation"}}]}""".formatted(patientJson("Existing", mrn), mrn);
        JsonPath response = fhir().body(bundle).post("/").then().statusCode(200).extract().jsonPath();
        assertThat(response.getString("entry[0].response.status")).isEqualTo("200 OK");
        String observation = response.getString("entry[1].response.location").split("/")[1];
        fhir().get("/Observation/" + observation).then().body("subject.reference", equalTo("Patient/" + existing));
    }

    @Test
    void transactionUpdatesDeletesAndReads() {
        String keep = createPatient("Keep", unique("mrn"));
        String drop = createPatient("Drop", unique("mrn"));
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"resource":{"resourceType":"Patient","id":"%1$s","active":true},
                   "request":{"method":"PUT","url":"Patient/%1$s","ifMatch":"W/\\"1\\""}},
                  {"request":{"method":"DELETE","url":"Patient/%2$s"}},
                  {"request":{"method":"GET","url":"Patient/%1$s"}}]}""".formatted(keep, drop);
        JsonPath response = fhir().body(bundle).post("/").then().statusCode(200).extract().jsonPath();
        assertThat(response.getList("entry.response.status")).containsExactly("200 OK", "204 No Content", "200 OK");
        // GET entries run after the writes.
        assertThat(response.getString("entry[2].resource.active")).isEqualTo("true");
        fhir().get("/Patient/" + drop).then().statusCode(410);
    }

    @Test
    void batchEntriesSucceedOrFailOnTheirOwn() {
        String family = unique("Batch");
        String bundle = """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"resource":%s,"request":{"method":"POST","url":"Patient"}},
                  {"request":{"method":"GET","url":"Patient/%s"}},
                  {"request":{"method":"GET","url":"Patient?family=%s"}}]}"""
                .formatted(patientJson(family, unique("mrn")), unique("missing"), family);
        JsonPath response = fhir().body(bundle).post("/").then().statusCode(200)
                .body("type", equalTo("batch-response")).extract().jsonPath();
        assertThat(response.getString("entry[0].response.status")).isEqualTo("201 Created");
        assertThat(response.getString("entry[1].response.status")).isEqualTo("404");
        assertThat(response.getString("entry[1].response.outcome.resourceType")).isEqualTo("OperationOutcome");
        assertThat(response.getInt("entry[2].resource.total")).isEqualTo(1);
    }

    @Test
    void aReferenceToNoEntryOfTheTransactionIsRefused() {
        String bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
                               "subject":{"reference":"urn:uuid:11111111-2222-3333-4444-555555555555"}},
                   "request":{"method":"POST","url":"Observation"}}]}""";
        fhir().body(bundle).post("/").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("urn:uuid:11111111"));
    }

    @Test
    void aBundleThatIsNeitherBatchNorTransactionIsRefused() {
        fhir().body("{\"resourceType\":\"Bundle\",\"type\":\"collection\"}").post("/").then().statusCode(400)
                .body("resourceType", equalTo("OperationOutcome"));
    }
}
