package org.carepath.search;

import java.util.List;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;

/**
 * Search tests tag every resource they create with their own code and search within that tag,
 * so the data of other tests never shows up.
 */
abstract class TaggedSearchTest extends EndToEndTest {

    static final String TAGS = "urn:carepath:test:tag";

    String tag;

    void newTag() {
        tag = unique("t");
    }

    /** The tag as a search value: system|code. */
    String tagValue() {
        return TAGS + "|" + tag;
    }

    String tagged(String json) {
        return json.replaceFirst("\\{", "{\"meta\":{\"tag\":[{\"system\":\"" + TAGS + "\",\"code\":\"" + tag + "\"}]},");
    }

    String create(String type, String json) {
        return fhir().body(tagged(json)).post("/" + type).then().statusCode(201).extract().path("id");
    }

    /** The ids of the matches (not includes) of a type-level search within the tag. */
    List<String> ids(String type, String query) {
        JsonPath bundle = fhir().get("/" + type + "?_tag=" + tagValue() + "&_count=100" + (query.isEmpty() ? "" : "&" + query))
                .then().statusCode(200).extract().jsonPath();
        return matches(bundle);
    }

    static List<String> matches(JsonPath bundle) {
        return bundle.getList("entry.findAll { it.search.mode == 'match' }.resource.id");
    }

    /** GET of a link the server made (already encoded). */
    static JsonPath follow(String url) {
        return RestAssured.given().urlEncodingEnabled(false).accept(FHIR_JSON).get(url).then().statusCode(200)
                .extract().jsonPath();
    }

    static String link(JsonPath bundle, String relation) {
        return bundle.getString("link.find { it.relation == '" + relation + "' }.url");
    }
}
