package org.carepath.search;

import java.util.ArrayList;
import java.util.List;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Search as EHRs and patient apps use it. Every test tags its resources with its own code, and
 * searches within that tag, so the data of other tests never shows up.
 */
class SearchIT extends EndToEndTest {

    private static final String TAGS = "urn:carepath:test:tag";

    private String tag;

    private String tagged(String json) {
        return json.replaceFirst("\\{", "{\"meta\":{\"tag\":[{\"system\":\"" + TAGS + "\",\"code\":\"" + tag + "\"}]},");
    }

    private String create(String type, String json) {
        return fhir().body(tagged(json)).post("/" + type).then().statusCode(201).extract().path("id");
    }

    private List<String> ids(String type, String query) {
        JsonPath bundle = fhir().get("/" + type + "?_tag=" + TAGS + "|" + tag + "&_count=100" + (query.isEmpty() ? "" : "&" + query))
                .then().statusCode(200).extract().jsonPath();
        return bundle.getList("entry.findAll { it.search.mode == 'match' }.resource.id");
    }

    private void newTag() {
        tag = unique("t");
    }

    @Test
    void tokenSearchMatchesSystemAndCodeInEveryForm() {
        newTag();
        String both = create("Observation", """
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"72514-3","display":"Pain severity"}]}}""");
        String noSystem = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"coding":[{"code":"72514-3"}]}}""");
        String other = create("Observation", """
                {"resourceType":"Observation","status":"amended",
                 "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}],"text":"Body temperature"}}""");
        assertThat(ids("Observation", "code=http://loinc.org|72514-3")).containsExactly(both);
        assertThat(ids("Observation", "code=72514-3")).containsExactlyInAnyOrder(both, noSystem);
        assertThat(ids("Observation", "code=|72514-3")).containsExactly(noSystem);
        assertThat(ids("Observation", "code=http://loinc.org|")).containsExactlyInAnyOrder(both, other);
        assertThat(ids("Observation", "code:not=72514-3")).containsExactly(other);
        assertThat(ids("Observation", "code:text=body temp")).containsExactly(other);
        assertThat(ids("Observation", "code:text=pain")).containsExactly(both);
        assertThat(ids("Observation", "status=final,amended")).containsExactlyInAnyOrder(both, noSystem, other);
        assertThat(ids("Observation", "status=final&code=http://loinc.org|72514-3")).containsExactly(both);
    }

    @Test
    void stringSearchIsCaseAndAccentInsensitivePrefixUnlessExactOrContains() {
        newTag();
        String muller = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Müller\",\"given\":[\"Anna\"]}]}");
        String mullins = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Mullins\"}]}");
        assertThat(ids("Patient", "family=mull")).containsExactlyInAnyOrder(muller, mullins);
        assertThat(ids("Patient", "family=MULLER")).containsExactly(muller);
        assertThat(ids("Patient", "family:exact=Müller")).containsExactly(muller);
        assertThat(ids("Patient", "family:exact=muller")).isEmpty();
        assertThat(ids("Patient", "family:contains=lli")).containsExactly(mullins);
        assertThat(ids("Patient", "name=anna")).containsExactly(muller);
    }

    @Test
    void dateSearchUsesRangesForPartialDatesPeriodsAndPrefixes() {
        newTag();
        String may1 = create("Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-05-01\"}");
        String may31 = create("Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-05-31\"}");
        String june = create("Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-06\"}");
        assertThat(ids("Patient", "birthdate=1970-05")).containsExactlyInAnyOrder(may1, may31);
        assertThat(ids("Patient", "birthdate=1970")).containsExactlyInAnyOrder(may1, may31, june);
        assertThat(ids("Patient", "birthdate=gt1970-05-01")).containsExactlyInAnyOrder(may31, june);
        assertThat(ids("Patient", "birthdate=ge1970-05-31")).containsExactlyInAnyOrder(may31, june);
        assertThat(ids("Patient", "birthdate=lt1970-05-31")).containsExactly(may1);
        assertThat(ids("Patient", "birthdate=le1970-05-31")).containsExactlyInAnyOrder(may1, may31);
        assertThat(ids("Patient", "birthdate=ne1970-05-01")).containsExactlyInAnyOrder(may31, june);
        assertThat(ids("Patient", "birthdate=sa1970-05-31")).containsExactly(june);
        assertThat(ids("Patient", "birthdate=eb1970-05-02")).containsExactly(may1);
        assertThat(ids("Patient", "birthdate=ge1970-05-10&birthdate=le1970-06-10")).containsExactlyInAnyOrder(may31, june);

        String stay = create("Encounter", """
                {"resourceType":"Encounter","status":"finished","class":{"code":"IMP"},
                 "period":{"start":"2026-03-01T10:00:00+01:00","end":"2026-03-03T12:00:00+01:00"}}""");
        assertThat(ids("Encounter", "date=2026-03-02")).isEmpty(); // the stay is not within that one day
        assertThat(ids("Encounter", "date=ge2026-03-02")).containsExactly(stay);
        // 10:00+01:00 is 09:00Z: the stay starts before 09:30Z but not before 08:30Z.
        assertThat(ids("Encounter", "date=lt2026-03-01T09:30:00Z")).containsExactly(stay);
        assertThat(ids("Encounter", "date=lt2026-03-01T08:30:00Z")).isEmpty();
        fhir().queryParam("_tag", TAGS + "|" + tag).queryParam("date", "lt2026-03-01T10:30:00+01:00")
                .get("/Encounter").then().statusCode(200).body("entry[0].resource.id", equalTo(stay));
    }

    @Test
    void referenceSearchAcceptsTypedIdsPlainIdsTypeModifierAndAbsoluteUrls() {
        newTag();
        String patient = create("Patient", "{\"resourceType\":\"Patient\"}");
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}"""
                .formatted(patient));
        String external = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan",
                 "subject":{"reference":"http://other.example.org/fhir/Patient/77"}}""");
        assertThat(ids("CarePlan", "subject=Patient/" + patient)).containsExactly(plan);
        assertThat(ids("CarePlan", "subject=" + patient)).containsExactly(plan);
        assertThat(ids("CarePlan", "subject:Patient=" + patient)).containsExactly(plan);
        assertThat(ids("CarePlan", "subject:Group=" + patient)).isEmpty();
        assertThat(ids("CarePlan", "patient=" + patient)).containsExactly(plan);
        assertThat(ids("CarePlan", "subject=http://other.example.org/fhir/Patient/77")).containsExactly(external);
    }

    @Test
    void numberAndQuantitySearchHonourPrefixesPrecisionAndUnits() {
        newTag();
        String warm = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"t"},
                 "valueQuantity":{"value":38.4,"unit":"C","system":"http://unitsofmeasure.org","code":"Cel"}}""");
        String normal = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"t"},
                 "valueQuantity":{"value":36.9,"unit":"C","system":"http://unitsofmeasure.org","code":"Cel"}}""");
        assertThat(ids("Observation", "value-quantity=gt38.3")).containsExactly(warm);
        assertThat(ids("Observation", "value-quantity=gt38.3|http://unitsofmeasure.org|Cel")).containsExactly(warm);
        assertThat(ids("Observation", "value-quantity=gt38.3||[degF]")).isEmpty();
        assertThat(ids("Observation", "value-quantity=37")).containsExactly(normal); // 37 means [36.5, 37.5)
        assertThat(ids("Observation", "value-quantity=le36.9")).containsExactly(normal);

        String risk = create("RiskAssessment", """
                {"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/x"},
                 "prediction":[{"probabilityDecimal":0.8}]}""");
        assertThat(ids("RiskAssessment", "probability=gt0.5")).containsExactly(risk);
        assertThat(ids("RiskAssessment", "probability=lt0.5")).isEmpty();
    }

    @Test
    void uriSearchSupportsBelowAndAboveAndMissingWorksForEveryType() {
        newTag();
        String pathway = create("PlanDefinition", """
                {"resourceType":"PlanDefinition","status":"active","url":"https://carepath.org/fhir/PlanDefinition/si-joint-fusion"}""");
        String bare = create("PlanDefinition", "{\"resourceType\":\"PlanDefinition\",\"status\":\"draft\"}");
        assertThat(ids("PlanDefinition", "url=https://carepath.org/fhir/PlanDefinition/si-joint-fusion")).containsExactly(pathway);
        assertThat(ids("PlanDefinition", "url:below=https://carepath.org/fhir/")).containsExactly(pathway);
        assertThat(ids("PlanDefinition", "url:above=https://carepath.org/fhir/PlanDefinition/si-joint-fusion/extra")).containsExactly(pathway);
        assertThat(ids("PlanDefinition", "url:missing=true")).containsExactly(bare);
        assertThat(ids("PlanDefinition", "url:missing=false")).containsExactly(pathway);
    }

    @Test
    void includeRevincludeIterateAndWildcard() {
        newTag();
        String patient = create("Patient", "{\"resourceType\":\"Patient\",\"managingOrganization\":{\"reference\":\"Organization/%s\"}}"
                .formatted(create("Organization", "{\"resourceType\":\"Organization\",\"name\":\"Clinic\"}")));
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(patient));
        String task = create("Task", """
                {"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/%s"},
                 "basedOn":[{"reference":"CarePlan/%s"}]}""".formatted(patient, plan));

        JsonPath included = fhir().get("/CarePlan?_id=" + plan + "&_include=CarePlan:subject").then().extract().jsonPath();
        assertThat(included.getList("entry.search.mode")).containsExactly("match", "include");
        assertThat(included.getString("entry[1].resource.id")).isEqualTo(patient);
        assertThat(included.getInt("total")).isEqualTo(1); // includes are not counted

        JsonPath iterated = fhir().get("/CarePlan?_id=" + plan + "&_include=CarePlan:subject&_include:iterate=Patient:organization")
                .then().extract().jsonPath();
        assertThat(iterated.getList("entry.resource.resourceType")).containsExactly("CarePlan", "Patient", "Organization");

        JsonPath wildcard = fhir().get("/Task?_id=" + task + "&_include=Task:*").then().extract().jsonPath();
        assertThat(wildcard.getList("entry.resource.id")).containsExactlyInAnyOrder(task, patient, plan);

        JsonPath reverse = fhir().get("/Patient?_id=" + patient + "&_revinclude=CarePlan:subject&_revinclude=Task:patient")
                .then().extract().jsonPath();
        assertThat(reverse.getList("entry.resource.id")).containsExactlyInAnyOrder(patient, plan, task);
    }

    @Test
    void includeOfAMissingOrDeletedTargetIsLeftOut() {
        newTag();
        String gone = create("Patient", "{\"resourceType\":\"Patient\"}");
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(gone));
        String orphan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/never-was"}}""");
        fhir().delete("/Patient/" + gone).then().statusCode(200);
        JsonPath bundle = fhir().get("/CarePlan?_id=" + plan + "," + orphan + "&_include=CarePlan:subject")
                .then().statusCode(200).extract().jsonPath();
        assertThat(bundle.getList("entry.resource.id")).containsExactlyInAnyOrder(plan, orphan);
    }

    @Test
    void chainsHasAndCompartmentSearch() {
        newTag();
        String org = create("Organization", "{\"resourceType\":\"Organization\",\"name\":\"Sacrum Spine Centre\"}");
        String patient = create("Patient", """
                {"resourceType":"Patient","name":[{"family":"Chained"}],"managingOrganization":{"reference":"Organization/%s"}}"""
                .formatted(org));
        String plan = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(patient));
        create("CarePlan", "{\"resourceType\":\"CarePlan\",\"status\":\"active\",\"intent\":\"plan\",\"subject\":{\"reference\":\"Patient/other\"}}");

        assertThat(ids("CarePlan", "subject:Patient.name=chained")).containsExactly(plan);
        assertThat(ids("CarePlan", "patient.family=chained")).containsExactly(plan);
        assertThat(ids("CarePlan", "subject:Patient.organization.name=sacrum")).containsExactly(plan);
        assertThat(ids("CarePlan", "subject:Patient.organization.name=elsewhere")).isEmpty();
        assertThat(ids("Patient", "_has:CarePlan:subject:status=active")).containsExactly(patient);
        assertThat(ids("Patient", "_has:CarePlan:subject:status=completed")).isEmpty();

        fhir().get("/Patient/" + patient + "/CarePlan").then().statusCode(200).body("total", equalTo(1))
                .body("entry[0].resource.id", equalTo(plan));
        fhir().get("/Patient/" + patient + "/CarePlan?status=completed").then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    void sortByOneOrSeveralKeysAscendingOrDescending() {
        newTag();
        String b2 = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"B\"}],\"birthDate\":\"1980-01-01\"}");
        String a = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"A\"}],\"birthDate\":\"1990-01-01\"}");
        String b1 = create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"B\"}],\"birthDate\":\"1970-01-01\"}");
        String none = create("Patient", "{\"resourceType\":\"Patient\"}");
        assertThat(ids("Patient", "_sort=family,birthdate")).containsExactly(a, b1, b2, none);
        assertThat(ids("Patient", "_sort=-family,-birthdate")).containsExactly(b2, b1, a, none);
        assertThat(ids("Patient", "_sort=birthdate")).containsExactly(b1, b2, a, none);
        fhir().get("/Patient?_sort=shoeSize").then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
    }

    @Test
    void pagesFollowNextAndPreviousLinksWithoutRepeatsWhileOthersInsert() {
        newTag();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(create("Basic", "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"page\"}}"));
        }
        JsonPath page = fhir().get("/Basic?_tag=" + TAGS + "|" + tag + "&_count=3").then().statusCode(200).extract().jsonPath();
        assertThat(page.getInt("total")).isEqualTo(7);
        List<String> seen = new ArrayList<>(page.getList("entry.resource.id"));
        String first = page.getString("link.find { it.relation == 'next' }.url");
        // Rows created while a client pages show up at the end, never twice.
        created.add(create("Basic", "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"late\"}}"));
        String next = first;
        JsonPath last = page;
        while (next != null) {
            last = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(next).then().statusCode(200)
                    .extract().jsonPath();
            seen.addAll(last.getList("entry.resource.id"));
            next = last.getString("link.find { it.relation == 'next' }.url");
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyElementsOf(created);
        String previous = last.getString("link.find { it.relation == 'previous' }.url");
        List<String> before = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(previous).then()
                .statusCode(200).extract().jsonPath().getList("entry.resource.id");
        assertThat(before).containsExactlyElementsOf(created.subList(3, 6));
    }

    @Test
    void resultParametersTotalSummaryElementsAndCount() {
        newTag();
        for (int i = 0; i < 3; i++) {
            create("Patient", "{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1970-01-01\"}");
        }
        String base = "/Patient?_tag=" + TAGS + "|" + tag;
        fhir().get(base + "&_summary=count").then().statusCode(200).body("total", equalTo(3))
                .body("entry", org.hamcrest.Matchers.nullValue());
        fhir().get(base + "&_total=none").then().statusCode(200).body("total", org.hamcrest.Matchers.nullValue());
        fhir().get(base + "&_total=accurate&_count=1").then().statusCode(200).body("total", equalTo(3))
                .body("entry.size()", equalTo(1));
        fhir().get(base + "&_elements=gender").then().statusCode(200)
                .body("entry[0].resource.gender", equalTo("female"))
                .body("entry[0].resource.birthDate", org.hamcrest.Matchers.nullValue());
        fhir().get(base + "&_count=0").then().statusCode(200).body("total", equalTo(3));
        fhir().get(base + "&_count=-1").then().statusCode(400);
        fhir().get(base + "&_total=sometimes").then().statusCode(400);
    }

    @Test
    void deletedResourcesAreNeverReturned() {
        newTag();
        String kept = create("Patient", "{\"resourceType\":\"Patient\",\"gender\":\"male\"}");
        String deleted = create("Patient", "{\"resourceType\":\"Patient\",\"gender\":\"male\"}");
        fhir().delete("/Patient/" + deleted).then().statusCode(200);
        assertThat(ids("Patient", "gender=male")).containsExactly(kept);
        assertThat(ids("Patient", "_id=" + deleted)).isEmpty();
    }

    @Test
    void unknownParametersWarnByDefaultAndFailUnderStrictHandling() {
        newTag();
        create("Patient", "{\"resourceType\":\"Patient\"}");
        JsonPath lenient = fhir().get("/Patient?_tag=" + TAGS + "|" + tag + "&shoeSize=42").then().statusCode(200)
                .extract().jsonPath();
        assertThat(lenient.getList("entry.search.mode")).contains("outcome");
        assertThat(lenient.getString("entry.find { it.search.mode == 'outcome' }.resource.issue[0].diagnostics"))
                .contains("shoeSize");
        fhir().header("Prefer", "handling=strict").get("/Patient?shoeSize=42").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("shoeSize"));
        fhir().get("/Patient?birthdate=yesterday").then().statusCode(400);
        fhir().get("/Patient?_has:Nonsense:subject:status=x").then().statusCode(400);
    }

    @Test
    void postSearchAndMetaParameters() {
        newTag();
        String profiled = fhir().body("""
                {"resourceType":"Patient","meta":{"profile":["http://example.org/fhir/StructureDefinition/x"],
                 "tag":[{"system":"%s","code":"%s"}]}}""".formatted(TAGS, tag)).post("/Patient")
                .then().statusCode(201).extract().path("id");
        String plain = create("Patient", "{\"resourceType\":\"Patient\"}");
        assertThat(ids("Patient", "_profile=http://example.org/fhir/StructureDefinition/x")).containsExactly(profiled);
        assertThat(ids("Patient", "_id=" + plain)).containsExactly(plain);
        assertThat(ids("Patient", "_lastUpdated=gt2000-01-01")).containsExactlyInAnyOrder(profiled, plain);
        assertThat(ids("Patient", "_lastUpdated=lt2000-01-01")).isEmpty();
        RestAssured.given().accept(FHIR_JSON).contentType("application/x-www-form-urlencoded")
                .formParam("_tag", TAGS + "|" + tag).formParam("_id", plain)
                .post("/Patient/_search").then().statusCode(200).body("total", equalTo(1));
    }

    @Test
    void injectionInEveryParameterTypeIsData() {
        for (String query : List.of("family=%27%3B%20DROP%20TABLE%20resource%3B--", "identifier=a%7C%27%20OR%201%3D1",
                "birthdate=1970%27", "subject=Patient%2F%27%20OR%20%271%27%3D%271", "url=%27%20OR%20%27%27%3D%27",
                "_sort=family%3BDROP", "_include=Patient%3Aorganization%27")) {
            int status = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get("/Patient?" + query).statusCode();
            assertThat(status).as(query).isIn(200, 400);
        }
        assertThat(jdbc.queryForObject("SELECT count(*) > 0 FROM resource", Boolean.class)).isTrue();
    }
}
