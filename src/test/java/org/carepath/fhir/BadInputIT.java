package org.carepath.fhir;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.carepath.EndToEndTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Client errors get the right 4xx with an OperationOutcome saying what is wrong, reveal nothing
 * of the server's insides, and leave nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT extends EndToEndTest {

    static Stream<Arguments> badRequests() {
        String marker = "BadInputMarker";
        return Stream.of(
                Arguments.of("malformed JSON", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"", 400, "JSON"),
                Arguments.of("malformed XML", "POST", "/Patient", "application/fhir+xml",
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + marker + "\"/>", 400, "XML"),
                Arguments.of("wrong resourceType for the endpoint", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + marker + "\"}}",
                        400, "Observation"),
                Arguments.of("invalid code", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"gender\":\"robot\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "robot"),
                Arguments.of("invalid date", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-13-45\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "1970-13-45"),
                Arguments.of("unknown element", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"shoeSize\":42,\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "shoeSize"),
                Arguments.of("id in body differs from URL", "PUT", "/Patient/abc", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"xyz\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "xyz"),
                Arguments.of("update without id in body", "PUT", "/Patient/abc", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"}]}", 400, "ID"),
                Arguments.of("invalid id", "PUT", "/Patient/a_b", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"a_b\",\"name\":[{\"family\":\"" + marker + "\"}]}",
                        400, "a_b"),
                Arguments.of("unsupported media type", "POST", "/Patient", "text/plain",
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"}]}", 415, "text/plain"),
                Arguments.of("XML with a DOCTYPE", "POST", "/Patient", "application/fhir+xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE Patient [<!ENTITY e \"" + marker + "\">]>"
                                + "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&e;\"/></name></Patient>",
                        400, "DOCTYPE"),
                Arguments.of("XML external entity", "POST", "/Patient", "application/fhir+xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                                + "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&xxe;\"/></name></Patient>",
                        400, "DOCTYPE"),
                Arguments.of("NUL character", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\\u0000x\"}]}", 400, "NUL"),
                Arguments.of("Bundle that is not a transaction", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}", 400, "transaction"));
    }

    /**
     * The hostile corpus: every primitive kind with a wrong type or value, broken and truncated
     * documents, control characters, huge and deep content, entity tricks, traversal and
     * SQL-like text in ids, bad paging and include parameters, bad Bundles and wrong media types.
     */
    static Stream<Arguments> hostileRequests() {
        String m = "HostileMarker";
        String p = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + m + "\"}],";
        String obs = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + m + "\"},";
        String xml = "application/fhir+xml";
        return Stream.of(
                // broken and truncated documents
                Arguments.of("truncated JSON", "POST", "/Patient", FHIR_JSON, p.substring(0, p.length() - 12), 400, "JSON"),
                Arguments.of("empty JSON object", "POST", "/Patient", FHIR_JSON, "{}", 400, "resourceType"),
                Arguments.of("JSON array", "POST", "/Patient", FHIR_JSON, "[" + p + "\"active\":true}]", 400, ""),
                Arguments.of("JSON string", "POST", "/Patient", FHIR_JSON, "\"Patient\"", 400, ""),
                Arguments.of("JSON with trailing garbage", "POST", "/Patient", FHIR_JSON, p + "\"active\":true}}}", 400, ""),
                Arguments.of("truncated XML", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + m, 400, ""),
                Arguments.of("XML with an unknown element", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\"><shoeSize value=\"42\"/><name><family value=\""
                                + m + "\"/></name></Patient>", 400, "shoeSize"),
                // a wrong type or value for every primitive kind
                Arguments.of("boolean as text", "POST", "/Patient", FHIR_JSON, p + "\"active\":\"yes\"}", 400, ""),
                Arguments.of("boolean as number", "POST", "/Patient", FHIR_JSON, p + "\"active\":1}", 400, ""),
                Arguments.of("integer as text", "POST", "/Patient", FHIR_JSON, p + "\"multipleBirthInteger\":\"two\"}", 400, ""),
                Arguments.of("integer with a fraction", "POST", "/Patient", FHIR_JSON, p + "\"multipleBirthInteger\":2.5}", 400, ""),
                Arguments.of("integer beyond 32 bits", "POST", "/Patient", FHIR_JSON, p + "\"multipleBirthInteger\":99999999999}", 400, ""),
                Arguments.of("decimal as text", "POST", "/Observation", FHIR_JSON,
                        obs + "\"valueQuantity\":{\"value\":\"abc\"}}", 400, ""),
                Arguments.of("decimal with a huge exponent", "POST", "/Observation", FHIR_JSON,
                        obs + "\"valueQuantity\":{\"value\":1e999999999}}", 400, ""),
                Arguments.of("decimal with a huge exponent in XML", "POST", "/Observation", xml,
                        "<Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/><code><text value=\"" + m
                                + "\"/></code><valueQuantity><value value=\"1e999999999\"/></valueQuantity></Observation>", 400, ""),
                Arguments.of("string as object", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":{\"x\":1}}]}", 400, ""),
                Arguments.of("code with inner spaces", "POST", "/Patient", FHIR_JSON, p + "\"gender\":\"ma le\"}", 400, ""),
                Arguments.of("array as object", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":{\"family\":\"" + m + "\"}}", 400, ""),
                Arguments.of("uri with spaces", "POST", "/Patient", FHIR_JSON,
                        p + "\"identifier\":[{\"system\":\"not a uri at all\",\"value\":\"1\"}]}", 400, ""),
                Arguments.of("base64Binary that is not base64", "POST", "/Patient", FHIR_JSON,
                        p + "\"photo\":[{\"data\":\"@@@ not base64 @@@\"}]}", 400, ""),
                Arguments.of("instant without time zone", "POST", "/Patient", FHIR_JSON,
                        p + "\"meta\":{\"lastUpdated\":\"2020-01-01T10:00:00\"}}", 400, ""),
                Arguments.of("positiveInt of zero", "POST", "/Observation", FHIR_JSON,
                        obs + "\"referenceRange\":[{\"age\":{\"low\":{\"value\":1}},\"text\":\"x\"}],"
                                + "\"valueSampledData\":{\"origin\":{\"value\":0},\"period\":1,\"dimensions\":0}}", 400, ""),
                Arguments.of("unsignedInt negative", "POST", "/Observation", FHIR_JSON,
                        obs + "\"valueAttachment\":{\"size\":-5}}", 400, ""),
                Arguments.of("29 February of a common year", "POST", "/Patient", FHIR_JSON, p + "\"birthDate\":\"2023-02-29\"}", 400, "2023-02-29"),
                Arguments.of("year zero", "POST", "/Patient", FHIR_JSON, p + "\"birthDate\":\"0000-00-00\"}", 400, ""),
                Arguments.of("date without leading zeros", "POST", "/Patient", FHIR_JSON, p + "\"birthDate\":\"2020-1-1\"}", 400, ""),
                Arguments.of("dateTime at hour 25", "POST", "/Observation", FHIR_JSON,
                        obs + "\"effectiveDateTime\":\"2020-02-10T25:00:00Z\"}", 400, ""),
                Arguments.of("dateTime with a time but no zone", "POST", "/Observation", FHIR_JSON,
                        obs + "\"effectiveDateTime\":\"2020-02-10T10:00:00\"}", 400, ""),
                // control characters
                Arguments.of("control character in a string", "POST", "/Patient", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + m + "\\u0001\\u001b[31m\"}]}", 400, "control"),
                Arguments.of("NUL in a code", "POST", "/Patient", FHIR_JSON, p + "\"gender\":\"male\\u0000\"}", 400, ""),
                Arguments.of("NUL in XML", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + m + "&#0;\"/></name></Patient>", 400, ""),
                Arguments.of("raw control byte in XML", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + m + "\u0002\"/></name></Patient>", 400, ""),
                // huge and deep content
                Arguments.of("deeply nested JSON arrays", "POST", "/Patient", FHIR_JSON,
                        p + "\"extension\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}", 400, ""),
                Arguments.of("deeply nested extensions", "POST", "/Patient", FHIR_JSON, p + nestedExtensions(3_000) + "}", 400, ""),
                Arguments.of("deeply nested XML", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\">" + "<extension url=\"http://x\">".repeat(3_000)
                                + "</extension>".repeat(3_000) + "</Patient>", 400, ""),
                Arguments.of("huge number of fields", "POST", "/Patient", FHIR_JSON,
                        p + "\"extension\":[" + "{\"url\":\"http://x\",\"valueWrong\":1},".repeat(50_000) + "{}]}", 400, ""),
                Arguments.of("billion laughs", "POST", "/Patient", xml, billionLaughs(), 400, "DOCTYPE"),
                Arguments.of("external parameter entity", "POST", "/Patient", xml,
                        "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY % x SYSTEM \"http://127.0.0.1:1/x.dtd\"> %x;]>"
                                + "<Patient xmlns=\"http://hl7.org/fhir\"/>", 400, "DOCTYPE"),
                Arguments.of("DOCTYPE in lower case", "POST", "/Patient", xml,
                        "<?xml version=\"1.0\"?><!doctype p [<!ENTITY e \"" + m + "\">]><Patient xmlns=\"http://hl7.org/fhir\"/>", 400, ""),
                Arguments.of("XInclude", "POST", "/Patient", xml,
                        "<Patient xmlns=\"http://hl7.org/fhir\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
                                + "<xi:include href=\"file:///etc/passwd\" parse=\"text\"/></Patient>", 400, ""),
                // traversal and SQL-like text in ids
                Arguments.of("SQL-like id", "PUT", "/Patient/1%27%3BDROP%20TABLE%20resource%3B--", FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"1';DROP TABLE resource;--\"}", 400, ""),
                Arguments.of("id of 65 characters", "PUT", "/Patient/" + "a".repeat(65), FHIR_JSON,
                        "{\"resourceType\":\"Patient\",\"id\":\"" + "a".repeat(65) + "\"}", 400, ""),
                // bad Bundles
                Arguments.of("transaction entry without request", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + p + "\"active\":true}}]}", 400, "request"),
                Arguments.of("transaction entry with an unknown urn:uuid", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + obs
                                + "\"subject\":{\"reference\":\"urn:uuid:00000000-0000-0000-0000-000000000000\"}},"
                                + "\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}", 400, "urn:uuid"),
                Arguments.of("transaction entry with an invalid resource", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + p
                                + "\"birthDate\":\"1970-13-01\"},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}]}", 400, ""),
                Arguments.of("transaction entry posting to another type", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + p
                                + "\"active\":true},\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}", 400, ""),
                Arguments.of("transaction entry with a traversal url", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + p
                                + "\"active\":true},\"request\":{\"method\":\"PUT\",\"url\":\"Patient/../../x\"}}]}", 400, ""),
                Arguments.of("transaction entry with a malformed ifMatch", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + p
                                + "\"id\":\"hostile-ifmatch\"},\"request\":{\"method\":\"PUT\",\"url\":\"Patient/hostile-ifmatch\","
                                + "\"ifMatch\":\"W/\\\"x\\\"\"}}]}", 400, "ETag"),
                Arguments.of("thousands of entries, the last one failing", "POST", "/", FHIR_JSON, bigTransaction(2_000), 412, "Bundle entry 1999"),
                Arguments.of("Bundle of an unknown type", "POST", "/", FHIR_JSON,
                        "{\"resourceType\":\"Bundle\",\"type\":\"teleport\"}", 400, ""),
                // wrong media types
                Arguments.of("JSON sent as XML", "POST", "/Patient", xml, p + "\"active\":true}", 400, ""),
                Arguments.of("XML sent as JSON", "POST", "/Patient", FHIR_JSON,
                        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + m + "\"/></name></Patient>", 400, ""),
                Arguments.of("form-encoded create", "POST", "/Patient", "application/x-www-form-urlencoded",
                        "resourceType=Patient&family=" + m, 400, ""),
                Arguments.of("multipart create", "POST", "/Patient", "multipart/form-data; boundary=x",
                        "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + p + "\"active\":true}\r\n--x--", 415, ""),
                Arguments.of("JSON Patch sent to create", "POST", "/Patient", "application/json-patch+json",
                        "[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]", 400, ""));
    }

    private static String nestedExtensions(int depth) {
        return "\"extension\":[" + "{\"url\":\"http://x\",\"extension\":[".repeat(depth) + "{\"url\":\"http://x\",\"valueString\":\"HostileMarker\"}"
                + "]}".repeat(depth) + "]";
    }

    private static String billionLaughs() {
        StringBuilder dtd = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i <= 9; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i == 1 ? "" : i - 1) + ";").repeat(10)).append("\">");
        }
        return dtd.append("]><Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&lol9;\"/></name></Patient>").toString();
    }

    /** A transaction creating many patients whose last entry updates a resource that is not there at that version. */
    private static String bigTransaction(int entries) {
        StringBuilder bundle = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
        for (int i = 0; i < entries - 1; i++) {
            bundle.append("{\"resource\":{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"HostileMarker\"}]},")
                    .append("\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},");
        }
        return bundle.append("{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"hostile-missing\"},")
                .append("\"request\":{\"method\":\"PUT\",\"url\":\"Patient/hostile-missing\",\"ifMatch\":\"W/\\\"3\\\"\"}}]}")
                .toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"badRequests", "hostileRequests"})
    void isRefusedWithAnOperationOutcomeAndLeavesNothingBehind(String name, String method, String path,
                                                               String contentType, String body, int status,
                                                               String mentioned) {
        Map<String, Integer> before = rowCounts();
        var request = RestAssured.given().urlEncodingEnabled(false).contentType(contentType).accept(FHIR_JSON);
        Response response = (contentType.startsWith("application/x-www-form") ? request.body(body)
                : request.body(body.getBytes(StandardCharsets.UTF_8))).request(method, path);
        response.then().statusCode(status)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].severity", equalTo("error"))
                .body("issue[0].diagnostics", containsString(mentioned));
        assertNoInternals(response.asString());
        assertThat(rowCounts()).as("rows after the refused request").isEqualTo(before);
    }

    /**
     * Every table's row count: a refused request must not leave a row anywhere. The audit trail
     * is left out: it records the refusal itself, written in the background.
     */
    private Map<String, Integer> rowCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        for (String table : List.of("resource", "resource_version", "idx_string", "idx_token", "idx_date",
                "idx_number", "idx_quantity", "idx_reference", "idx_uri")) {
            counts.put(table, jdbc.queryForObject("SELECT count(*) FROM " + table + " WHERE res_type <> 'AuditEvent'",
                    Integer.class));
        }
        return counts;
    }

    /** Hostile search and paging parameters: 400 with an OperationOutcome, never a 500. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileSearches")
    void hostileSearchParametersAre400(String query) {
        Response response = fhir().urlEncodingEnabled(false).get(query);
        response.then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
        assertNoInternals(response.asString());
    }

    static Stream<String> hostileSearches() {
        String laterPage = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "search\na,12,not-a-date\nPatient\n_sort\nbirthdate".getBytes(StandardCharsets.UTF_8));
        String laterNumberPage = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "search\na,12,NaN%%\nRiskAssessment\n_sort\nprobability".getBytes(StandardCharsets.UTF_8));
        return Stream.of("/Patient?_count=-1", "/Patient?_count=99999999999", "/Patient?_count=ten",
                "/Patient?_count=1e3", "/Patient?_sort=shoeSize", "/Patient?_sort=-", "/Patient?_sort=,,-,",
                "/Patient?_include=Patient:nope", "/Patient?_include=Banana:subject", "/Patient?_include=*",
                "/Patient?_include=Patient", "/Patient?_revinclude=Observation:subject:Banana",
                "/Patient?_total=all", "/Patient?_include%3A=Patient:organization%3Ax%3Ay",
                "/Patient?birthdate=ge2020-13-01", "/Patient?birthdate=xx2020", "/Observation?value-quantity=1e999999999",
                "/Observation?value-quantity=ap1e-2147483647", "/RiskAssessment?probability=1E-999999999",
                "/Patient?family:nonsense=x", "/Patient?identifier:text:x=1",
                "/Patient?general-practitioner.name.name.name.name=x", "/Patient?_has:Observation=x",
                "/Patient?_has:Banana:subject:code=x", "/Patient?active:missing=maybe", "/Patient?family=x%00y",
                "/PlanDefinition/$apply?url=http://x%00&subject=Patient/1",
                "/?_getpages=" + laterPage, "/?_getpages=" + laterNumberPage);
    }

    /** Search values with SQL, traversal or control text are data: they match nothing and change nothing. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileSearchValues")
    void hostileSearchValuesMatchNothing(String query) {
        Map<String, Integer> before = rowCounts();
        Response response = fhir().urlEncodingEnabled(false).get(query);
        response.then().statusCode(200).body("resourceType", equalTo("Bundle")).body("total", equalTo(0));
        assertThat(rowCounts()).isEqualTo(before);
    }

    static Stream<String> hostileSearchValues() {
        return Stream.of("/Patient?family=x%27%20OR%20%271%27%3D%271", "/Patient?family=%25", "/Patient?family=_",
                "/Patient?_id=..%2F..%2Fetc%2Fpasswd", "/Patient?identifier=%27%3B%20DELETE%20FROM%20resource%3B--%7Cx",
                "/Patient?family=%5C", "/Patient?family=" + "z".repeat(5_000), "/Patient?name:contains=%25%25%25",
                "/Patient?general-practitioner=Practitioner%2F..%2F..%2Fx", "/Patient?family=%01%1B%5B31m");
    }

    @Test
    void pathTraversalInIdsFindsNothing() {
        for (String path : List.of("/Patient/..%2F..%2Fetc%2Fpasswd", "/Patient/%2e%2e", "/Patient/1%27--",
                "/Patient/1%3BDROP%20TABLE%20resource", "/Patient/x/_history/..%2F1")) {
            Response response = fhir().urlEncodingEnabled(false).get(path);
            assertThat(response.statusCode()).as(path).isIn(400, 404);
            assertNoInternals(response.asString());
        }
    }

    @Test
    void malformedIfMatchValuesAre400() {
        String id = createPatient("IfMatchKinds", unique("mrn"));
        for (String etag : List.of("W/\"one\"", "W/\"1", "\"\"", "W/\"-1\"", "W/\"99999999999\"", "1;DROP", "W/\"1\", W/\"2\"")) {
            Response response = fhir().header("If-Match", etag)
                    .body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}").put("/Patient/" + id);
            assertThat(response.statusCode()).as(etag).isIn(400, 412);
            response.then().body("resourceType", equalTo("OperationOutcome"));
        }
        fhir().get("/Patient/" + id).then().body("meta.versionId", equalTo("1"));
    }

    @org.junit.jupiter.api.AfterAll
    void serverIsHealthyAfterTheCorpus() {
        RestAssured.given().basePath("").get("http://localhost:" + port + "/actuator/health")
                .then().statusCode(200).body("status", equalTo("UP"));
        fhir().body(patientJson("AfterCorpus", unique("mrn"))).post("/Patient").then().statusCode(201);
    }

    @Test
    void unknownResourceTypeIs404() {
        var response = fhir().get("/Banana/1");
        response.then().statusCode(404).body("resourceType", equalTo("OperationOutcome"));
        assertNoInternals(response.asString());
    }

    @Test
    void bodyDeclaredOverTheLimitIsRefusedWith413BeforeItIsRead() throws Exception {
        // Only the headers and a few bytes are sent: the server must answer from Content-Length.
        try (var socket = new java.net.Socket("localhost", port)) {
            var out = socket.getOutputStream();
            out.write(("POST /fhir/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n"
                    + "Accept: application/fhir+json\r\nAuthorization: Bearer " + org.carepath.TestTokens.SYSTEM
                    + "\r\nContent-Length: 104857600\r\n\r\n{\"resourceType\":")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(10_000);
            byte[] buffer = new byte[2048];
            int n = socket.getInputStream().read(buffer);
            String response = new String(buffer, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void chunkedBodyOverTheLimitIsRefusedWith413WhileItIsRead() throws Exception {
        // No Content-Length: the limit must hold while the body streams in.
        try (var socket = new java.net.Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            var out = socket.getOutputStream();
            out.write(("POST /fhir/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n"
                    + "Accept: application/fhir+json\r\nAuthorization: Bearer " + org.carepath.TestTokens.SYSTEM
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 11 * 16; i++) { // 11 MB, over the 10 MB limit
                    out.write(chunk);
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (java.io.IOException closedEarly) {
                // the server answered and closed before the whole body was sent: what we want
            }
            String response = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(response).isEqualTo("HTTP/1.1 413");
        }
    }

    /** Long values are valid FHIR: stored whole and found again, however long the index keys would be. */
    @Test
    void hugeButValidValuesAreStoredAndFound() {
        // random text, which PostgreSQL cannot compress below its index row limit
        String longValue = randomText(4_000);
        String longSystem = "urn:carepath:test:" + randomText(3_000);
        String family = unique("Long") + "\u00e9".repeat(100_000);
        String id = fhir().body("""
                {"resourceType":"Patient","identifier":[{"system":"%s","value":"%s"}],"name":[{"family":"%s"}],
                 "generalPractitioner":[{"reference":"Practitioner/%s"}]}"""
                .formatted(longSystem, longValue, family, randomText(3_000)))
                .post("/Patient").then().statusCode(201).extract().path("id");
        fhir().get("/Patient/" + id).then().statusCode(200).body("name[0].family", equalTo(family));
        RestAssured.given().contentType("application/x-www-form-urlencoded").accept(FHIR_JSON)
                .formParam("identifier", longSystem + "|" + longValue).post("/Patient/_search")
                .then().statusCode(200).body("total", equalTo(1)).body("entry[0].resource.id", equalTo(id));
        fhir().get("/Patient?family=" + family.substring(0, 20)).then().statusCode(200).body("total", equalTo(1));
    }

    private static String randomText(int length) {
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            text.append(java.util.UUID.randomUUID().toString().replace("-", ""));
        }
        return text.substring(0, length);
    }

    @Test
    void doctypeInUtf16IsRefusedToo() {
        Map<String, Integer> before = rowCounts();
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE p [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                + "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&xxe;\"/></name></Patient>";
        Response response = RestAssured.given().contentType("application/fhir+xml; charset=UTF-16").accept(FHIR_JSON)
                .body(xml.getBytes(StandardCharsets.UTF_16)).post("/Patient");
        response.then().statusCode(400).body("resourceType", equalTo("OperationOutcome"));
        assertThat(response.asString()).doesNotContain("root:");
        assertNoInternals(response.asString());
        assertThat(rowCounts()).isEqualTo(before);
    }

    @Test
    void invalidSearchValuesAre400() {
        fhir().get("/Patient?birthdate=notadate").then().statusCode(400)
                .body("resourceType", equalTo("OperationOutcome"))
                .body("issue[0].diagnostics", containsString("notadate"));
        fhir().get("/Observation?value-quantity=abc").then().statusCode(400);
    }

    @Test
    void injectionAttemptsInSearchValuesAreTreatedAsData() {
        fhir().get("/Patient?family=x' OR '1'='1").then().statusCode(200).body("total", equalTo(0));
        fhir().get("/Patient?_id=1;DROP TABLE resource").then().statusCode(200).body("total", equalTo(0));
        fhir().get("/Patient/1'--").then().statusCode(404);
        assertThat(jdbc.queryForObject("SELECT to_regclass('resource') IS NOT NULL", Boolean.class)).isTrue();
    }

    static void assertNoInternals(String body) {
        assertThat(body).doesNotContain("Exception").doesNotContain("at org.").doesNotContain("at java.")
                .doesNotContain("SELECT").doesNotContain("INSERT").doesNotContain("org.carepath")
                .doesNotContain("postgresql");
    }
}
