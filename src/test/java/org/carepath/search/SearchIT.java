package org.carepath.search;

import java.util.ArrayList;
import java.util.List;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Type-level search as EHRs and patient apps use it, every parameter type, modifier, prefix and
 * result parameter, within each test's own tag.
 */
class SearchIT extends TaggedSearchTest {

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
    void thePathwaysOwnSearchParameterFindsOpenAlerts() {
        newTag();
        String patient = create("Patient", "{\"resourceType\":\"Patient\"}");
        String calm = create("Patient", "{\"resourceType\":\"Patient\"}");
        String open = create("Flag", """
                {"resourceType":"Flag","status":"active","code":{"text":"fever"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(patient));
        create("Flag", """
                {"resourceType":"Flag","status":"inactive","code":{"text":"fever"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(calm));
        // Flag has no status parameter in R4: fhir-profiles/resources/SearchParameter-flag-status.json adds it
        assertThat(ids("Flag", "status=active")).containsExactly(open);
        assertThat(ids("Flag", "patient=" + patient + "&status=inactive")).isEmpty();
        assertThat(ids("Patient", "_has:Flag:patient:status=active")).containsExactly(patient);
        fhir().get("/metadata").then().statusCode(200).body(
                "rest[0].resource.find { it.type == 'Flag' }.searchParam.name", org.hamcrest.Matchers.hasItem("status"));
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
        // later pages carry the total the first page counted: a large search is not counted per page
        assertThat(last.getInt("total")).isEqualTo(7);
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
    void identifierOfTypeAndReferenceByIdentifier() {
        newTag();
        String v2 = "http://terminology.hl7.org/CodeSystem/v2-0203";
        String mrn = create("Patient", """
                {"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"%s","code":"MR"}]},
                 "system":"urn:example:mrn","value":"100"}]}""".formatted(v2));
        String ssn = create("Patient", """
                {"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"%s","code":"SS"}]},
                 "system":"urn:example:ssn","value":"100"}]}""".formatted(v2));
        assertThat(ids("Patient", "identifier:of-type=" + v2 + "|MR|100")).containsExactly(mrn);
        assertThat(ids("Patient", "identifier:of-type=" + v2 + "|SS|100," + v2 + "|MR|100")).containsExactlyInAnyOrder(mrn, ssn);
        assertThat(ids("Patient", "identifier:of-type=" + v2 + "|MR|999")).isEmpty();
        assertThat(ids("Patient", "identifier:of-type=urn:other|MR|100")).isEmpty();
        assertThat(ids("Patient", "identifier=100")).containsExactlyInAnyOrder(mrn, ssn);
        fhir().get("/Patient?identifier:of-type=MR|100").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("system|code|value"));
        fhir().get("/Patient?gender:of-type=" + v2 + "|MR|100").then().statusCode(200); // no identifiers: no match
        fhir().get("/Patient?birthdate:of-type=a|b|c").then().statusCode(400);

        // An update replaces the index rows: without its type the identifier no longer matches :of-type.
        fhir().body(tagged("""
                {"resourceType":"Patient","id":"%s","identifier":[{"system":"urn:example:mrn","value":"100"}]}""".formatted(mrn)))
                .put("/Patient/" + mrn).then().statusCode(200);
        assertThat(ids("Patient", "identifier:of-type=" + v2 + "|MR|100")).isEmpty();

        String byIdentifier = create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan",
                 "subject":{"identifier":{"system":"urn:example:mrn","value":"100"}}}""");
        create("CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/%s"}}""".formatted(mrn));
        assertThat(ids("CarePlan", "subject:identifier=urn:example:mrn|100")).containsExactly(byIdentifier);
        assertThat(ids("CarePlan", "subject:identifier=100")).containsExactly(byIdentifier);
        assertThat(ids("CarePlan", "subject:identifier=urn:example:ssn|100")).isEmpty();
        fhir().get("/CarePlan?status:identifier=x").then().statusCode(400);
    }

    @Test
    void summaryModesAndTotalModes() {
        newTag();
        create("Patient", """
                {"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Ann Summary</div>"},
                 "name":[{"family":"Summary","given":["Ann"]}],"gender":"female",
                 "contact":[{"name":{"family":"Next-of-kin"}}]}""");
        String base = "/Patient?_tag=" + tagValue();
        fhir().get(base + "&_summary=true").then().statusCode(200)
                .body("entry[0].resource.name[0].family", equalTo("Summary"))
                .body("entry[0].resource.contact", org.hamcrest.Matchers.nullValue())
                .body("entry[0].resource.meta.tag.code", org.hamcrest.Matchers.hasItem("SUBSETTED"));
        fhir().get(base + "&_summary=text").then().statusCode(200)
                .body("entry[0].resource.text.div", containsString("Ann Summary"))
                .body("entry[0].resource.name", org.hamcrest.Matchers.nullValue())
                .body("entry[0].resource.gender", org.hamcrest.Matchers.nullValue());
        fhir().get(base + "&_summary=data").then().statusCode(200)
                .body("entry[0].resource.text", org.hamcrest.Matchers.nullValue())
                .body("entry[0].resource.contact[0].name.family", equalTo("Next-of-kin"));
        fhir().get(base + "&_summary=false").then().statusCode(200)
                .body("entry[0].resource.text.div", containsString("Ann Summary"))
                .body("entry[0].resource.contact[0].name.family", equalTo("Next-of-kin"));
        fhir().get(base + "&_summary=count").then().statusCode(200).body("total", equalTo(1))
                .body("entry", org.hamcrest.Matchers.nullValue());
        fhir().get(base + "&_summary=everything").then().statusCode(400)
                .body("issue[0].diagnostics", containsString("_summary"));
        fhir().get(base + "&_elements=name").then().statusCode(200)
                .body("entry[0].resource.name[0].family", equalTo("Summary"))
                .body("entry[0].resource.gender", org.hamcrest.Matchers.nullValue());

        create("Patient", "{\"resourceType\":\"Patient\",\"gender\":\"female\"}");
        fhir().get(base + "&_total=estimate").then().statusCode(200).body("total", equalTo(2));
        fhir().get(base + "&_total=accurate&_count=1").then().statusCode(200).body("total", equalTo(2))
                .body("entry.size()", equalTo(1));
        fhir().get(base + "&_total=none").then().statusCode(200).body("total", org.hamcrest.Matchers.nullValue())
                .body("entry.size()", equalTo(2));
    }

    @Test
    void timezonesAndPartialDatesCompareAsInstantsAndUtcDays() {
        newTag();
        // 23:30 in New York on 1 March is 04:30 UTC on 2 March.
        String late = create("Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"tz"},
                 "effectiveDateTime":"2026-03-01T23:30:00-05:00"}""");
        assertThat(ids("Observation", "date=2026-03-02")).containsExactly(late);
        assertThat(ids("Observation", "date=2026-03-01")).isEmpty();
        assertThat(ids("Observation", "date=2026-03")).containsExactly(late);
        assertThat(ids("Observation", "date=2026-02")).isEmpty();
        assertThat(ids("Observation", "date=2026")).containsExactly(late);
        assertThat(ids("Observation", "date=ap2026-03-02")).containsExactly(late);
        assertThat(ids("Observation", "date=2026-03-02T04:30:00Z")).containsExactly(late);
        assertThat(ids("Observation", "date=2026-03-02T04:30:00")).containsExactly(late); // no zone: UTC
        assertThat(ids("Observation", "date=gt2026-03-02T04:30:00Z")).isEmpty();
        assertThat(ids("Observation", "date=ge2026-03-02T04:30:00Z")).containsExactly(late);
        fhir().queryParam("_tag", tagValue()).queryParam("date", "2026-03-01T23:30:00-05:00")
                .get("/Observation").then().statusCode(200).body("entry[0].resource.id", equalTo(late));
        // An unencoded '+' arrives as a space and still reads as a zone offset.
        List<String> raw = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON)
                .get("/Observation?_tag=" + enc(tagValue()) + "&date=le2026-03-02T05:30:00+01:00").then().statusCode(200)
                .extract().jsonPath().getList("entry.resource.id");
        assertThat(raw).containsExactly(late);
        fhir().queryParam("_tag", tagValue()).queryParam("date", "lt2026-03-02T05:29:00+01:00").get("/Observation")
                .then().statusCode(200).body("total", equalTo(0));

        String updated = fhir().get("/Observation/" + late).then().extract().path("meta.lastUpdated");
        java.time.Instant at = java.time.OffsetDateTime.parse(updated).toInstant();
        String inKolkata = java.time.OffsetDateTime.ofInstant(at, java.time.ZoneOffset.ofHoursMinutes(5, 30)).toString();
        fhir().queryParam("_tag", tagValue()).queryParam("_lastUpdated", "ge" + inKolkata).get("/Observation")
                .then().statusCode(200).body("entry[0].resource.id", equalTo(late));
        fhir().queryParam("_tag", tagValue()).queryParam("_lastUpdated", "gt" + at.plusSeconds(1)).get("/Observation")
                .then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    void invalidValuesAre400EvenWithoutStrictHandling() {
        for (String query : List.of("Patient?birthdate=1970-13-01", "Patient?birthdate=xx1970", "Patient?birthdate=yesterday",
                "RiskAssessment?probability=abc", "Observation?value-quantity=1|a", "Observation?value-quantity=many",
                "Patient?_count=abc", "Patient?_total=sometimes", "Patient?_summary=bogus", "Patient?organization:missing=maybe",
                "Patient?family:sounds=x", "Patient?gender:exact=x", "Patient?birthdate:not=1970", "CarePlan?subject:Nonsense=x",
                "CarePlan?subject:not=x", "Patient?_include=Nope:x", "Patient?_include=Patient:family", "Patient?_sort=shoe",
                "Patient?_has:CarePlan:nonsense:status=x", "Patient?identifier:of-type=a|b", "Patient?_lastUpdated=yesterday",
                "Patient?_id:exact=x", "CarePlan?subject.nonsense=x", "?_type=Nope", "?_lastUpdated=xx", "?_sort=family")) {
            fhir().get("/" + query).then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
        }
    }

    @Test
    void unsupportedParametersWarnByDefaultAndFailUnderStrictHandling() {
        newTag();
        create("Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"back pain\"}}");
        for (String parameter : List.of("_content=pain", "_text=pain", "_contained=true", "_filter=status eq final")) {
            JsonPath lenient = fhir().get("/Observation?_tag=" + tagValue() + "&" + parameter).then().statusCode(200)
                    .extract().jsonPath();
            assertThat(lenient.getInt("total")).as(parameter).isEqualTo(1);
            assertThat(lenient.getString("entry.find { it.search.mode == 'outcome' }.resource.issue[0].diagnostics"))
                    .contains(parameter.substring(0, parameter.indexOf('=')));
            fhir().header("Prefer", "handling=strict").get("/Observation?_tag=" + tagValue() + "&" + parameter)
                    .then().statusCode(400);
        }
    }

    @Test
    void tamperedPageLinksAre400() {
        newTag();
        for (int i = 0; i < 3; i++) {
            create("Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"197" + i + "-01-01\"}");
        }
        String next = link(fhir().get("/Patient?_tag=" + tagValue() + "&_sort=birthdate&_count=1").then().statusCode(200)
                .extract().jsonPath(), "next");
        String pageId = next.replaceAll(".*_pageId=([^&]+).*", "$1");
        String decoded = new String(java.util.Base64.getUrlDecoder().decode(pageId), java.nio.charset.StandardCharsets.UTF_8);
        for (String forged : List.of(decoded.replaceFirst("\na,(\\d+),[^\n]*", "\na,$1,not-a-date"),
                decoded.replaceFirst("\na,\\d+", "\na,x"), decoded.replaceFirst("^search", "nonsense"),
                decoded.replaceFirst("\nPatient\n", "\nNope\n"), decoded + "\n_sort\nshoe")) {
            String id = java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(forged.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(next.replace(pageId, id))
                    .then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
        }
    }

    @Test
    void injectionInEveryParameterIsData() {
        newTag();
        String drop = "'; DROP TABLE resource;--";
        String orTrue = "' OR '1'='1";
        String target = create("Patient", """
                {"resourceType":"Patient","name":[{"family":"%s"}],"identifier":[{"system":"urn:x","value":"%s"}],
                 "managingOrganization":{"reference":"Organization/%s"}}""".formatted(drop, orTrue, "x'--"));
        create("Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Innocent\"}]}");
        int before = storedCount("Patient");

        // The hostile text is found as the data it is, and OR-tricks widen nothing.
        assertThat(rawIds("Patient", "family:exact=" + enc(drop))).containsExactly(target);
        assertThat(rawIds("Patient", "family=" + enc("'; drop"))).containsExactly(target);
        assertThat(rawIds("Patient", "identifier=" + enc("urn:x|" + orTrue))).containsExactly(target);
        assertThat(rawIds("Patient", "organization=" + enc("Organization/x'--"))).containsExactly(target);
        assertThat(rawIds("Patient", "identifier=" + enc("x' OR 1=1 --"))).isEmpty();
        assertThat(rawIds("Patient", "family=" + enc("x%' OR '%'='"))).isEmpty();
        assertThat(rawIds("Patient", "family:contains=" + enc("%"))).isEmpty();
        assertThat(rawIds("Patient", "family:contains=" + enc("_"))).isEmpty();
        assertThat(rawIds("Patient", "_id=" + enc(orTrue))).isEmpty();
        assertThat(rawIds("Patient", "_profile=" + enc(orTrue))).isEmpty();
        assertThat(rawIds("Patient", "_has:Observation:subject:code=" + enc(orTrue))).isEmpty();
        assertThat(rawIds("Patient", "organization:Organization.name=" + enc(orTrue))).isEmpty();

        for (String query : List.of("birthdate=" + enc("1970' OR 1=1"), "general-practitioner=" + enc("Patient/' OR '1'='1"),
                "_sort=" + enc("family;DROP TABLE resource"), "_include=" + enc("Patient:organization'"),
                "_revinclude=" + enc("Observation:subject' --"), "family" + enc(":contains'--") + "=x", enc("fam'ily") + "=x",
                "_has:" + enc("Observation'") + ":subject:code=x", "_count=" + enc("1;DROP"), "_total=" + enc("' OR 1"),
                "_lastUpdated=" + enc("ge2020' OR 1=1"), "_content=" + enc(drop), "_summary=" + enc(orTrue),
                "_elements=" + enc(orTrue), "address-postalcode:missing=" + enc(orTrue))) {
            int status = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON)
                    .get("/Patient?_tag=" + enc(tagValue()) + "&" + query).statusCode();
            assertThat(status).as(query).isIn(200, 400);
        }
        for (String query : List.of("_type=" + enc("Patient' OR 1=1"), "_tag=" + enc(orTrue), "_id=" + enc(drop),
                "_type=Patient&family:exact=" + enc(drop))) {
            int status = RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(baseUrl() + "?" + query)
                    .statusCode();
            assertThat(status).as(query).isIn(200, 400);
        }
        assertThat(storedCount("Patient")).isEqualTo(before);
        assertThat(ids("Patient", "")).hasSize(2);
    }

    /** Like {@link #ids}, with the query sent exactly as given (already encoded). */
    private List<String> rawIds(String type, String query) {
        return matches(RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON)
                .get("/" + type + "?_tag=" + enc(tagValue()) + "&_count=100&" + query).then().statusCode(200)
                .extract().jsonPath());
    }

    private static String enc(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }
}
