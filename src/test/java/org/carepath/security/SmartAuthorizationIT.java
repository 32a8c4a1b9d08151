package org.carepath.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.restassured.path.json.JsonPath;
import org.awaitility.core.ThrowingRunnable;
import org.carepath.EndToEndTest;
import org.carepath.TestTokens;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * SMART-on-FHIR authorization end to end, with tokens from a real authorization server: a backend
 * service, a clinician, two patients (Ann and Bob). Bob's data is made by the backend; Ann's
 * token must never reach it, on any path.
 */
class SmartAuthorizationIT extends EndToEndTest {

    private static final String PATIENT_SCOPES = "openid launch/patient patient/*.read patient/Observation.write"
            + " patient/QuestionnaireResponse.write";

    @Autowired
    AuditLog auditLog;

    String ann;
    String bob;
    String annToken;
    String annObservation;
    String bobObservation;
    String bobObservationIdentifier;
    String practitioner;

    @BeforeEach
    void twoPatients() {
        ann = createPatient(unique("Ann"), unique("mrn"));
        bob = createPatient(unique("Bob"), unique("mrn"));
        annToken = TestTokens.patient(ann, PATIENT_SCOPES);
        practitioner = fhir().body("{\"resourceType\":\"Practitioner\",\"name\":[{\"family\":\"Grey\"}]}")
                .post("/Practitioner").then().statusCode(201).extract().path("id");
        annObservation = observation(ann, unique("ann-obs"));
        bobObservationIdentifier = unique("bob-obs");
        bobObservation = observation(bob, bobObservationIdentifier);
    }

    private String observation(String patient, String identifier) {
        return fhir().body(observationJson(patient, identifier)).post("/Observation")
                .then().statusCode(201).extract().path("id");
    }

    private String observationJson(String patient, String identifier) {
        return """
                {"resourceType":"Observation","status":"final",
                 "identifier":[{"system":"urn:carepath:test:obs","value":"%s"}],
                 "code":{"coding":[{"system":"http://loinc.org","code":"72514-3"}]},
                 "subject":{"reference":"Patient/%s"},
                 "performer":[{"reference":"Practitioner/%s"}],
                 "valueInteger":4}""".formatted(identifier, patient, practitioner);
    }

    private String task(String patient) {
        return fhir().body("""
                {"resourceType":"Task","status":"requested","intent":"plan","description":"Walk today",
                 "for":{"reference":"Patient/%s"}}""".formatted(patient))
                .post("/Task").then().statusCode(201).extract().path("id");
    }

    @Test
    void aPatientSeesTheirOwnTasksOnlyThoughR4LeavesTaskOutOfTheCompartment() {
        String annTask = task(ann);
        String bobTask = task(bob);
        fhirAs(annToken).get("/Task/" + annTask).then().statusCode(200);
        fhirAs(annToken).get("/Task/" + bobTask).then().statusCode(404);
        assertThat(fhirAs(annToken).get("/Task?status=requested&_count=100").then().statusCode(200)
                .extract().jsonPath().getList("entry.resource.id", String.class)).containsExactly(annTask);
        assertThat(fhirAs(annToken).get("/Task?patient=" + bob).then().extract().jsonPath()
                .getList("entry.resource.id", String.class)).isEmpty();
        assertThat(fhirAs(annToken).get("/Patient/" + ann + "/$everything").then().statusCode(200)
                .extract().jsonPath().getList("entry.resource.id", String.class)).contains(annTask).doesNotContain(bobTask);
    }

    @Test
    void anotherPatientsDeletedResourceIsNotFoundButTheirOwnIsGone() {
        fhir().delete("/Observation/" + bobObservation).then().statusCode(200);
        fhir().delete("/Observation/" + annObservation).then().statusCode(200);
        fhirAs(annToken).get("/Observation/" + bobObservation).then().statusCode(404);
        fhirAs(annToken).get("/Observation/" + annObservation).then().statusCode(410);
        fhir().get("/Observation/" + bobObservation).then().statusCode(410);
    }

    // --- tokens -------------------------------------------------------------------------------

    @Test
    void publicEndpointsNeedNoToken() {
        anonymous().get("/metadata").then().statusCode(200)
                .body("rest[0].security.service[0].coding[0].code", equalTo("SMART-on-FHIR"))
                .body("rest[0].security.extension[0].url", equalTo(SmartCapabilities.OAUTH_URIS))
                .body("rest[0].security.extension[0].extension.find { it.url == 'token' }.valueUri",
                        equalTo(TestTokens.server().tokenEndpointUrl(TestTokens.ISSUER_ID).toString()));
        for (String path : List.of("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration")) {
            anonymous().basePath("").get(path).then().statusCode(200)
                    .body("token_endpoint", equalTo(TestTokens.server().tokenEndpointUrl(TestTokens.ISSUER_ID).toString()))
                    .body("authorization_endpoint",
                            equalTo(TestTokens.server().authorizationEndpointUrl(TestTokens.ISSUER_ID).toString()))
                    .body("capabilities", hasItem("permission-v2"))
                    .body("scopes_supported", hasItem("patient/*.rs"));
        }
        io.restassured.RestAssured.given().header(TestTokens.ANONYMOUS_MARKER, "true").basePath("")
                .get("/actuator/health/liveness").then().statusCode(200);
    }

    @Test
    void withoutATokenEverythingElseIs401WithBearerChallenge() {
        for (String path : List.of("/Patient/" + ann, "/Observation?patient=" + ann, "/_history", "/Patient/" + ann + "/Observation")) {
            anonymous().get(path).then().statusCode(401)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .body("resourceType", equalTo("OperationOutcome"));
        }
        anonymous().body(observationJson(ann, unique("x"))).post("/Observation").then().statusCode(401);
    }

    @Test
    void expiredForgedAndForeignTokensAre401() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String expired = TestTokens.token("ehr-backend", Map.of("scope", "system/*.*", "iat", now - 7200,
                "nbf", now - 7200), -600);
        fhirAs(expired).get("/Patient/" + ann).then().statusCode(401)
                .header("WWW-Authenticate", containsString("invalid_token"))
                .body("issue[0].diagnostics", containsString("expired"));

        // Same claims, same issuer, signed with a key the issuer never published.
        RSAKey foreignKey = new RSAKeyGenerator(2048).keyID("attacker").generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("attacker").build(),
                SignedJWT.parse(TestTokens.SYSTEM).getJWTClaimsSet());
        forged.sign(new RSASSASigner(foreignKey));
        fhirAs(forged.serialize()).get("/Patient/" + ann).then().statusCode(401)
                .header("WWW-Authenticate", containsString("invalid_token"));

        // The issuer's real key id, wrong key: the signature check, not the key lookup, refuses it.
        String realKid = SignedJWT.parse(TestTokens.SYSTEM).getHeader().getKeyID();
        SignedJWT sameKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(realKid).build(),
                SignedJWT.parse(TestTokens.SYSTEM).getJWTClaimsSet());
        sameKid.sign(new RSASSASigner(foreignKey));
        fhirAs(sameKid.serialize()).get("/Patient/" + ann).then().statusCode(401);

        // A token from another issuer (the same server, another realm) is not ours.
        String foreign = TestTokens.server().issueToken("elsewhere", "ehr-backend", TestTokens.AUDIENCE,
                Map.of("scope", "system/*.*"), 3600).serialize();
        fhirAs(foreign).get("/Patient/" + ann).then().statusCode(401);

        fhirAs("not-a-jwt").get("/Patient/" + ann).then().statusCode(401);
    }

    @Test
    void audienceIsCheckedWhenConfigured() throws Exception {
        var decoder = org.springframework.security.oauth2.jwt.NimbusJwtDecoder
                .withJwkSetUri(TestTokens.server().jwksUrl(TestTokens.ISSUER_ID).toString()).build();
        decoder.setJwtValidator(SecurityConfig.validator(TestTokens.issuer(), "carepath"));
        assertThat(decoder.decode(TestTokens.SYSTEM).getSubject()).isEqualTo("ehr-backend");
        String otherAudience = TestTokens.server().issueToken(TestTokens.ISSUER_ID, "ehr-backend", "some-other-api",
                Map.of("scope", "system/*.*"), 3600).serialize();
        org.junit.jupiter.api.Assertions.assertThrows(org.springframework.security.oauth2.jwt.JwtValidationException.class,
                () -> decoder.decode(otherAudience));
    }

    @Test
    void aTokenWithoutResourceScopesIs403() {
        String openidOnly = TestTokens.token("someone", Map.of("scope", "openid profile"));
        fhirAs(openidOnly).get("/Patient/" + ann).then().statusCode(403).body("resourceType", equalTo("OperationOutcome"));
        String patientScopeWithoutPatient = TestTokens.token("someone", Map.of("scope", "patient/*.read"));
        fhirAs(patientScopeWithoutPatient).get("/Observation").then().statusCode(403);
    }

    // --- scopes -------------------------------------------------------------------------------

    @Test
    void readScopesCannotWrite() {
        String reader = TestTokens.clinician("user/*.read user/CarePlan.write");
        fhirAs(reader).get("/Patient/" + ann).then().statusCode(200);
        fhirAs(reader).body(patientJson("X", unique("mrn"))).post("/Patient").then().statusCode(403)
                .body("resourceType", equalTo("OperationOutcome"));
        fhirAs(reader).delete("/Observation/" + bobObservation).then().statusCode(403);
        fhirAs(reader).body("{\"resourceType\":\"CarePlan\",\"status\":\"active\",\"intent\":\"plan\",\"subject\":{\"reference\":\"Patient/"
                + ann + "\"}}").post("/CarePlan").then().statusCode(201);
        fhir().get("/Observation/" + bobObservation).then().statusCode(200);
        // v1 read on a Bundle entry is checked like the request alone
        fhirAs(reader).body(transaction("POST", "Patient", patientJson("Y", unique("mrn")))).post("")
                .then().statusCode(403);
    }

    @Test
    void aScopeForOneTypeDoesNotOpenAnother() {
        String observations = TestTokens.clinician("user/Observation.rs");
        fhirAs(observations).get("/Observation/" + bobObservation).then().statusCode(200);
        fhirAs(observations).get("/Patient/" + bob).then().statusCode(403);
        fhirAs(observations).get("/Patient?_id=" + bob).then().statusCode(403);
        // includes of other types are left out, not leaked and not failing the search
        fhirAs(observations).get("/Observation?_id=" + bobObservation + "&_include=Observation:subject&_include=Observation:performer")
                .then().statusCode(200)
                .body("entry.resource.resourceType", everyItem(equalTo("Observation")))
                .body("entry.resource.id", hasItem(bobObservation));
        fhir().get("/Observation?_id=" + bobObservation + "&_include=Observation:subject").then()
                .body("entry.resource.resourceType", hasItem("Patient"));
    }

    @Test
    void v2SeparatesReadFromSearch() {
        String searchOnly = TestTokens.clinician("user/Observation.s");
        fhirAs(searchOnly).get("/Observation?_id=" + bobObservation).then().statusCode(200)
                .body("entry.resource.id", hasItem(bobObservation));
        fhirAs(searchOnly).get("/Observation/" + bobObservation).then().statusCode(403);
        String readOnly = TestTokens.clinician("user/Observation.r");
        fhirAs(readOnly).get("/Observation/" + bobObservation).then().statusCode(200);
        fhirAs(readOnly).get("/Observation?_id=" + bobObservation).then().statusCode(403);
        String createOnly = TestTokens.clinician("user/Observation.c");
        fhirAs(createOnly).body(observationJson(ann, unique("c"))).post("/Observation").then().statusCode(201);
        fhirAs(createOnly).body(observationJson(bob, bobObservationIdentifier).replace("{\"resourceType\":\"Observation\",",
                "{\"resourceType\":\"Observation\",\"id\":\"" + bobObservation + "\",")).put("/Observation/" + bobObservation)
                .then().statusCode(403);
    }

    @Test
    void scpListClaimIsRead() {
        String token = TestTokens.token("svc", Map.of("scp", List.of("system/Patient.rs")));
        fhirAs(token).get("/Patient/" + ann).then().statusCode(200);
        fhirAs(token).get("/Observation/" + annObservation).then().statusCode(403);
    }

    // --- the patient compartment --------------------------------------------------------------

    @Test
    void aPatientReadsOwnDataAndGets404ForAnotherPatients() {
        fhirAs(annToken).get("/Patient/" + ann).then().statusCode(200);
        fhirAs(annToken).get("/Observation/" + annObservation).then().statusCode(200);
        String missing = unique("missing");
        for (String path : List.of("/Patient/" + bob, "/Observation/" + bobObservation,
                "/Observation/" + bobObservation + "/_history/1", "/Observation/" + bobObservation + "/_history",
                "/Observation/" + missing)) {
            fhirAs(annToken).get(path).then().statusCode(404).body("resourceType", equalTo("OperationOutcome"));
        }
    }

    @Test
    void everySearchIsNarrowedToThePatientsCompartment() {
        fhirAs(annToken).get("/Observation").then().statusCode(200)
                .body("entry.resource.subject.reference", everyItem(equalTo("Patient/" + ann)))
                .body("entry.resource.id", hasItem(annObservation));
        fhirAs(annToken).get("/Observation?code=http://loinc.org|72514-3&_count=500").then().statusCode(200)
                .body("entry.resource.id", not(hasItem(bobObservation)));
        fhirAs(annToken).get("/Observation?identifier=urn:carepath:test:obs|" + bobObservationIdentifier).then()
                .statusCode(200).body("entry", org.hamcrest.Matchers.nullValue());
        // asking for another patient by name is refused (HAPI's narrowing), by any synonym
        fhirAs(annToken).get("/Observation?subject=Patient/" + bob).then().statusCode(403);
        fhirAs(annToken).get("/Observation?patient=Patient/" + bob).then().statusCode(403);
        fhirAs(annToken).get("/Observation?patient=" + bob + "," + ann).then().statusCode(200)
                .body("entry.resource.subject.reference", everyItem(equalTo("Patient/" + ann)));
        fhirAs(annToken).get("/Patient").then().statusCode(200).body("entry.resource.id", equalTo(List.of(ann)));
        fhirAs(annToken).get("/Patient/" + bob + "/Observation").then()
                .body("entry", org.hamcrest.Matchers.nullValue());
        fhirAs(annToken).get("/Patient?_has:Observation:patient:code=72514-3").then().statusCode(200)
                .body("entry.resource.id", equalTo(List.of(ann)));
        fhirAs(annToken).contentType("application/x-www-form-urlencoded").formParam("code", "72514-3")
                .post("/Observation/_search").then().statusCode(200)
                .body("entry.resource.id", not(hasItem(bobObservation)));
    }

    @Test
    void includesAndRevincludesStayInTheCompartment() {
        // Practitioners are shared directory content; Bob's observation by the same practitioner is not.
        fhirAs(annToken).get("/Practitioner?_id=" + practitioner + "&_revinclude=Observation:performer").then()
                .statusCode(200)
                .body("entry.resource.id", hasItem(practitioner))
                .body("entry.resource.id", hasItem(annObservation))
                .body("entry.resource.id", not(hasItem(bobObservation)));
        fhirAs(annToken).get("/Observation?_include=Observation:performer&_include=Observation:subject").then()
                .statusCode(200)
                .body("entry.resource.id", hasItem(practitioner))
                .body("entry.resource.id", not(hasItem(bob)));
        fhirAs(annToken).get("/Patient?_revinclude=Observation:subject&_revinclude=Observation:performer").then()
                .statusCode(200)
                .body("entry.resource.id", not(hasItem(bobObservation)));
        // nor can shared content be filtered by other patients' resources
        fhirAs(annToken).get("/Practitioner?_has:Observation:performer:patient=" + bob).then().statusCode(403);
        fhir().get("/Practitioner?_has:Observation:performer:patient=" + bob).then().statusCode(200)
                .body("entry.resource.id", hasItem(practitioner));
        fhirAs(annToken).get("/Observation?_include=Observation:*").then().statusCode(200)
                .body("entry.resource.id", not(hasItem(bob)))
                .body("entry.resource.id", not(hasItem(bobObservation)));
    }

    @Test
    void pageLinksCannotBeForgedIntoOtherPatientsData() {
        // a page link copied from a system token's search
        String next = fhir().get("/Observation?code=72514-3&_count=1&_total=accurate").then().extract()
                .jsonPath().getString("link.find { it.relation == 'next' }.url");
        assertThat(next).isNotNull();
        JsonPath page = fhirAs(annToken).urlEncodingEnabled(false).basePath("").get(next.replace("http://localhost:" + port, ""))
                .then().statusCode(200).extract().jsonPath();
        assertThat(page.getList("entry.resource.subject.reference", String.class)).allMatch(("Patient/" + ann)::equals);
        assertThat(page.getString("total")).isNull();
    }

    @Test
    void historyAcrossPatientsIsRefusedToPatientTokens() {
        fhirAs(annToken).get("/Observation/" + annObservation + "/_history").then().statusCode(200);
        fhirAs(annToken).get("/Observation/_history").then().statusCode(403);
        fhirAs(annToken).get("/_history").then().statusCode(403);
    }

    @Test
    void aPatientWritesOnlyIntoOwnCompartment() {
        fhirAs(annToken).body(observationJson(ann, unique("own"))).post("/Observation").then().statusCode(201);
        fhirAs(annToken).body(observationJson(bob, unique("theirs"))).post("/Observation").then().statusCode(403);
        // overwriting Bob's observation while claiming it for Ann
        fhirAs(annToken).body(observationJson(ann, bobObservationIdentifier).replace("{\"resourceType\":\"Observation\",",
                "{\"resourceType\":\"Observation\",\"id\":\"" + bobObservation + "\",")).put("/Observation/" + bobObservation)
                .then().statusCode(403);
        fhir().get("/Observation/" + bobObservation).then().body("subject.reference", equalTo("Patient/" + bob))
                .body("meta.versionId", equalTo("1"));
        // read scopes do not write
        fhirAs(annToken).body(patientJson("Renamed", unique("mrn")).replace("{\"resourceType\":\"Patient\",",
                "{\"resourceType\":\"Patient\",\"id\":\"" + ann + "\",")).put("/Patient/" + ann).then().statusCode(403);
        // shared content is read-only to patients; subscriptions are not theirs to make
        fhirAs(annToken).body("{\"resourceType\":\"Subscription\",\"status\":\"requested\",\"reason\":\"x\",\"criteria\":\"Observation?patient="
                + bob + "\",\"channel\":{\"type\":\"rest-hook\",\"endpoint\":\"http://localhost:1/x\"}}").post("/Subscription")
                .then().statusCode(403);
        fhirAs(annToken).get("/Subscription").then().statusCode(403);
    }

    @Test
    void deletesAndConditionalWritesStayInTheCompartment() {
        String cruds = TestTokens.patient(ann, "patient/Observation.cruds");
        fhirAs(cruds).delete("/Observation/" + bobObservation).then().statusCode(403);
        fhirAs(cruds).delete("/Observation?identifier=urn:carepath:test:obs|" + bobObservationIdentifier)
                .then().statusCode(200);
        fhir().get("/Observation/" + bobObservation).then().statusCode(200);

        // conditional create: Bob's match is invisible, so Ann gets a new resource of her own
        String created = fhirAs(cruds).header("If-None-Exist", "identifier=urn:carepath:test:obs|" + bobObservationIdentifier)
                .body(observationJson(ann, bobObservationIdentifier)).post("/Observation").then().statusCode(201)
                .body("subject.reference", equalTo("Patient/" + ann)).extract().path("id");
        assertThat(created).isNotEqualTo(bobObservation);

        // conditional update: the criteria see only Ann's compartment
        fhirAs(cruds).body(observationJson(ann, unique("upd")))
                .put("/Observation?identifier=urn:carepath:test:obs|" + bobObservationIdentifier + "&subject=Patient/" + bob)
                .then().statusCode(org.hamcrest.Matchers.anyOf(equalTo(201), equalTo(403)));
        fhir().get("/Observation/" + bobObservation).then().body("meta.versionId", equalTo("1"));

        fhirAs(cruds).delete("/Observation/" + annObservation).then().statusCode(200);
    }

    @Test
    void batchAndTransactionEntriesAreCheckedOneByOne() {
        String batch = """
                {"resourceType":"Bundle","type":"batch","entry":[
                 {"request":{"method":"GET","url":"Observation/%s"}},
                 {"request":{"method":"GET","url":"Observation/%s"}},
                 {"request":{"method":"GET","url":"Observation?code=72514-3&_count=500"}},
                 {"request":{"method":"GET","url":"Observation?_id=%s&_revinclude=Observation:performer"}}]}"""
                .formatted(annObservation, bobObservation, bobObservation);
        JsonPath response = fhirAs(annToken).body(batch).post("").then().statusCode(200).extract().jsonPath();
        assertThat(response.getString("entry[0].response.status")).startsWith("200");
        assertThat(response.getString("entry[1].response.status")).startsWith("404");
        assertThat(response.getString("entry[1].resource.subject")).isNull();
        assertThat(response.getList("entry[2].resource.entry.resource.subject.reference", String.class))
                .isNotEmpty().allMatch(("Patient/" + ann)::equals);
        assertThat(response.getList("entry[3].resource.entry.resource.id", String.class)).doesNotContain(bobObservation);

        // a transaction writing into Bob's compartment fails whole
        String family = unique("Tx");
        fhirAs(TestTokens.patient(ann, "patient/*.cruds")).body("""
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"resource":%s,"request":{"method":"POST","url":"Observation"}},
                 {"resource":%s,"request":{"method":"PUT","url":"Observation/%s"}}]}"""
                .formatted(observationJson(ann, family), observationJson(ann, family).replace(
                        "{\"resourceType\":\"Observation\",", "{\"resourceType\":\"Observation\",\"id\":\"" + bobObservation + "\","),
                        bobObservation)).post("").then().statusCode(403);
        fhir().get("/Observation?identifier=urn:carepath:test:obs|" + family).then().body("total", equalTo(0));
        fhir().get("/Observation/" + bobObservation).then().body("meta.versionId", equalTo("1"));
        fhirAs(TestTokens.patient(ann, "patient/*.cruds")).body(transaction("DELETE", "Observation/" + bobObservation, null))
                .post("").then().statusCode(403);
        fhir().get("/Observation/" + bobObservation).then().statusCode(200);
    }

    @Test
    void operationsAreCheckedToo() {
        fhirAs(annToken).body(observationJson(ann, unique("v"))).post("/Observation/$validate").then().statusCode(200);
        fhirAs(annToken).body("{\"resourceType\":\"Parameters\"}").post("/Observation/" + annObservation + "/$validate")
                .then().statusCode(200);
        fhirAs(annToken).body("{\"resourceType\":\"Parameters\"}").post("/Observation/" + bobObservation + "/$validate")
                .then().statusCode(404);
        fhirAs(TestTokens.clinician("user/Patient.rs")).body(observationJson(ann, unique("v"))).post("/Observation/$validate")
                .then().statusCode(403);

        String apply = "/PlanDefinition/si-joint-fusion/$apply?surgeryDate=2026-06-01T08:00:00Z&timezone=Europe/Berlin&subject=Patient/";
        fhirAs(annToken).urlEncodingEnabled(false).get(apply + ann).then().statusCode(200)
                .body("subject.reference", equalTo("Patient/" + ann));
        fhirAs(annToken).urlEncodingEnabled(false).get(apply + bob).then().statusCode(403);
        fhirAs(TestTokens.clinician("user/Patient.rs")).urlEncodingEnabled(false).get(apply + ann).then().statusCode(403);
        // the pathway itself is shared content
        fhirAs(annToken).get("/PlanDefinition/si-joint-fusion").then().statusCode(200);
        fhirAs(annToken).get("/Questionnaire?_count=1").then().statusCode(200);
    }

    @Test
    void corsAllowsTheConfiguredOriginsOnly() {
        anonymous().header("Origin", "https://patient-app.example.org").header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization").options("/Patient").then().statusCode(200)
                .header("Access-Control-Allow-Origin", "https://patient-app.example.org")
                .header("Access-Control-Allow-Credentials", org.hamcrest.Matchers.nullValue());
        anonymous().header("Origin", "https://evil.example.com").header("Access-Control-Request-Method", "GET")
                .options("/Patient").then().statusCode(403)
                .header("Access-Control-Allow-Origin", org.hamcrest.Matchers.nullValue());
        fhirAs(annToken).header("Origin", "https://patient-app.example.org").get("/Patient/" + ann).then().statusCode(200)
                .header("Access-Control-Allow-Origin", "https://patient-app.example.org");
    }

    // --- audit --------------------------------------------------------------------------------

    @Test
    void everyRequestOnPatientDataIsAuditedAllowedOrRefused() {
        fhirAs(annToken).get("/Observation/" + annObservation).then().statusCode(200);
        fhirAs(annToken).get("/Observation/" + bobObservation).then().statusCode(404);
        fhirAs(annToken).get("/Observation?code=72514-3").then().statusCode(200);
        anonymous().get("/Observation/" + bobObservation).then().statusCode(401);

        String auditor = TestTokens.token("auditor", Map.of("scope", "system/AuditEvent.rs", "client_id", "audit-console"));
        whenRecorded(() -> {
            JsonPath anns = fhirAs(auditor).get("/AuditEvent?patient=Patient/" + ann + "&_count=500").then().statusCode(200)
                    .extract().jsonPath();
            List<Map<String, Object>> events = anns.getList("entry.resource");
            assertThat(events).anySatisfy(e -> {
                assertThat(String.valueOf(e)).contains("Observation/" + annObservation).contains("patient-app")
                        .contains("patient-" + ann);
                assertThat(e.get("outcome")).isEqualTo("0");
                assertThat(e.get("action")).isEqualTo("R");
            });
            assertThat(events).anySatisfy(e -> {
                assertThat(String.valueOf(e)).contains("Observation/" + bobObservation).contains("read");
                assertThat(e.get("outcome")).isEqualTo("4");
                assertThat(String.valueOf(e.get("outcomeDesc"))).startsWith("HTTP 404");
            });
            assertThat(events).anySatisfy(e -> assertThat(String.valueOf(e)).contains("search-type").contains("code=72514-3"));
            // Bob's record shows the refused look at his observation, and the anonymous try
            Integer refusedAnonymous = jdbc.queryForObject("""
                    SELECT count(*) FROM resource WHERE res_type = 'AuditEvent' AND body->>'outcome' = '4'
                    AND body::text LIKE ? AND body->>'outcomeDesc' LIKE 'HTTP 401%'""", Integer.class,
                    "%GET /fhir/Observation/" + bobObservation + "%");
            Integer bobsObservationSeen = jdbc.queryForObject("""
                    SELECT count(*) FROM resource WHERE res_type = 'AuditEvent' AND body::text LIKE ?""",
                    Integer.class, "%Patient/" + bob + "%");
            assertThat(refusedAnonymous).isEqualTo(1);
            assertThat(bobsObservationSeen).isPositive();
        });
    }

    /**
     * A backend's reads and searches are answered with the stored text, unparsed: the patients
     * their AuditEvents name come from what was stored with each version, so they must follow
     * the content (a changed subject) and still be found for rows stored before they were kept.
     * A performer is no patient; a patient's Task is theirs, though R4's compartment leaves Task out.
     */
    @Test
    void readsAndSearchesNameThePatientsOfWhatTheyShowedAsLastWritten() {
        String annTask = task(ann);
        String moved = observation(ann, unique("moved-obs"));
        fhir().body(observationJson(bob, unique("moved-obs")).replaceFirst("\\{", "{\"id\":\"" + moved + "\","))
                .put("/Observation/" + moved).then().statusCode(200);
        // as a row written before V012 kept its patients: unknown until its next version
        jdbc.update("UPDATE resource SET patient_ids = NULL WHERE res_type = 'Observation' AND res_id = ?", annObservation);
        String search = "identifier=urn:carepath:test:obs%7C" + bobObservationIdentifier + "&_include=Observation:subject";

        fhir().get("/Observation/" + moved).then().statusCode(200).body("subject.reference", equalTo("Patient/" + bob));
        fhir().get("/Observation/" + annObservation).then().statusCode(200).body("id", equalTo(annObservation));
        fhir().get("/Task/" + annTask).then().statusCode(200);
        fhir().urlEncodingEnabled(false).get("/Observation?" + search).then().statusCode(200)
                .body("entry.resource.id", hasItem(bob));

        String auditor = TestTokens.token("auditor", Map.of("scope", "system/AuditEvent.rs"));
        assertThat(patientsNamedBy(auditor, "entity=Observation/" + moved + "&subtype=read", moved))
                .containsExactly("Patient/" + bob);
        assertThat(patientsNamedBy(auditor, "entity=Observation/" + annObservation + "&subtype=read", annObservation))
                .containsExactly("Patient/" + ann);
        assertThat(patientsNamedBy(auditor, "entity=Task/" + annTask + "&subtype=read", annTask))
                .containsExactly("Patient/" + ann);
        assertThat(patientsNamedBy(auditor, "subtype=search-type&_sort=-_lastUpdated&_count=50", bobObservationIdentifier))
                .containsExactly("Patient/" + bob);
    }

    /**
     * A control character in a query (which FHIR strings may not hold) once made its AuditEvent
     * unstorable, and with it every other event of the writer's batch: anyone could have erased
     * others' records by sending such queries alongside.
     */
    @Test
    void aQueryWithAControlCharacterIsAuditedAndTakesNoOtherEventWithIt() {
        String marker = unique("ctl");
        fhir().urlEncodingEnabled(false).get("/Observation?identifier=" + marker + "%01x").then().statusCode(200);
        fhir().get("/Observation?identifier=" + marker + "-plain").then().statusCode(200);

        List<String> bodies = recorded(() -> jdbc.queryForList("SELECT body::text FROM resource"
                + " WHERE res_type = 'AuditEvent' AND body::text LIKE ?", String.class, "%" + marker + "%"), 2);
        assertThat(bodies).hasSize(2);
        assertThat(bodies).anySatisfy(body -> assertThat(body).contains("identifier=" + marker + "\uFFFDx")
                .contains("\"query\":\"" + java.util.Base64.getEncoder().encodeToString(
                        ("identifier=" + marker + "\u0001x").getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\""));
    }

    /**
     * What the query finds once it finds at least the expected number of AuditEvents (10 s at
     * most): HAPI records a request's event after its response has gone out, so a flush right
     * after the response may come before the event is on the writer's queue.
     */
    private <T> List<T> recorded(java.util.function.Supplier<List<T>> query, int expected) {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    auditLog.flush();
                    return query.get();
                }, found -> found.size() >= expected);
    }

    /** Runs the assertions on the audit trail until they hold (10 s at most), for the same reason. */
    private void whenRecorded(ThrowingRunnable assertions) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            auditLog.flush();
            assertions.run();
        });
    }

    /** The patients (entity role 1) named by the one AuditEvent the search finds that mentions the text. */
    private List<String> patientsNamedBy(String auditor, String search, String mentioned) {
        List<Map<String, Object>> matching = recorded(() -> {
            List<Map<String, Object>> events = fhirAs(auditor).urlEncodingEnabled(false).get("/AuditEvent?" + search)
                    .then().statusCode(200).extract().jsonPath().getList("entry.resource");
            return events.stream().filter(e -> String.valueOf(e).contains(mentioned)).toList();
        }, 1);
        assertThat(matching).as("AuditEvents of " + search + " mentioning " + mentioned).hasSize(1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> entities = (List<Map<String, Object>>) matching.get(0).get("entity");
        return entities.stream().filter(e -> String.valueOf(e.get("role")).contains("code=1,"))
                .map(e -> String.valueOf(((Map<?, ?>) e.get("what")).get("reference"))).toList();
    }

    @Test
    void auditEventsAreReadOnlyAndNeedAScopeThatNamesThem() {
        fhir().get("/AuditEvent?_count=1").then().statusCode(403); // system/*.* does not reach the audit trail
        fhir().body("{\"resourceType\":\"AuditEvent\",\"type\":{\"code\":\"rest\"},\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"x\"}}}").post("/AuditEvent")
                .then().statusCode(403);
        String auditor = TestTokens.token("auditor", Map.of("scope", "system/AuditEvent.cruds"));
        fhirAs(auditor).body("{\"resourceType\":\"AuditEvent\",\"type\":{\"code\":\"rest\"},\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"x\"}}}").post("/AuditEvent")
                .then().statusCode(403);
        fhirAs(auditor).get("/AuditEvent?_count=1").then().statusCode(200);
        fhirAs(annToken).get("/AuditEvent").then().statusCode(403);
        // and they never show up in the history a wildcard token reads
        auditLog.flush();
        fhir().get("/_history?_count=200").then().statusCode(200)
                .body("entry.resource.resourceType", not(hasItem("AuditEvent")));
    }

    private static String transaction(String method, String url, String resource) {
        return "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{"
                + (resource == null ? "" : "\"resource\":" + resource + ",")
                + "\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\"}}]}";
    }
}
