package org.carepath.fhir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Version checks, conditional creates and transactions hold when many clients write at once: no
 * lost update, no duplicate, no deadlock that reaches the client as a 500.
 */
class ConcurrencyIT extends EndToEndTest {

    private static final int WRITERS = 12;

    @Test
    void concurrentIfMatchWritersNeverLoseAnUpdate() throws Exception {
        String id = createPatient("Race", unique("mrn"));
        List<Integer> statuses = runConcurrently(writer -> () -> fhir()
                .header("If-Match", "W/\"1\"")
                .body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"gender\":\"other\",\"name\":[{\"family\":\"w"
                        + writer + "\"}]}")
                .put("/Patient/" + id).statusCode());
        assertThat(statuses).containsOnly(200, 412);
        assertThat(statuses.stream().filter(s -> s == 200)).hasSize(1);
        fhir().get("/Patient/" + id).then().body("meta.versionId", equalTo("2"));
    }

    @Test
    void concurrentUnconditionalUpdatesAllLandAsContiguousVersions() throws Exception {
        String id = createPatient("Pile", unique("mrn"));
        List<Integer> statuses = runConcurrently(writer -> () -> fhir()
                .body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"w" + writer + "\"}]}")
                .put("/Patient/" + id).statusCode());
        assertThat(statuses).containsOnly(200);
        fhir().get("/Patient/" + id).then().body("meta.versionId", equalTo(Integer.toString(WRITERS + 1)));
        List<String> versions = fhir().get("/Patient/" + id + "/_history?_count=100").then().extract()
                .jsonPath().getList("entry.resource.meta.versionId");
        assertThat(versions).hasSize(WRITERS + 1).doesNotHaveDuplicates();
    }

    @Test
    void concurrentConditionalCreatesMakeExactlyOneResource() throws Exception {
        String mrn = unique("mrn");
        List<Integer> statuses = runConcurrently(writer -> () -> fhir()
                .header("If-None-Exist", "identifier=urn:carepath:test:mrn|" + mrn)
                .body(patientJson("Once", mrn)).post("/Patient").statusCode());
        assertThat(statuses).containsOnly(200, 201);
        assertThat(statuses.stream().filter(s -> s == 201)).hasSize(1);
        fhir().get("/Patient?identifier=urn:carepath:test:mrn|" + mrn).then().body("total", equalTo(1));
    }

    @Test
    void concurrentCreatesWithTheSameClientIdMakeOneResource() throws Exception {
        String id = unique("same");
        List<Integer> statuses = runConcurrently(writer -> () -> fhir()
                .body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}").put("/Patient/" + id).statusCode());
        assertThat(statuses).containsOnly(200, 201);
        assertThat(statuses.stream().filter(s -> s == 201)).hasSize(1);
        fhir().get("/Patient/" + id).then().body("meta.versionId", equalTo(Integer.toString(WRITERS)));
    }

    @Test
    void ifMatchWritersThatRetryOnConflictLoseNoUpdateAndLeaveContiguousVersions() throws Exception {
        String id = createPatient("Counter", unique("mrn"));
        int rounds = 2;
        List<Integer> conflicts = runConcurrently(writer -> () -> {
            int seen412 = 0;
            for (int done = 0; done < rounds; ) {
                var current = fhir().get("/Patient/" + id).then().statusCode(200).extract().jsonPath();
                String version = current.getString("meta.versionId");
                int count = current.get("multipleBirthInteger") == null ? 0 : current.getInt("multipleBirthInteger");
                int status = fhir().header("If-Match", "W/\"" + version + "\"")
                        .body("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"multipleBirthInteger\":" + (count + 1) + "}")
                        .put("/Patient/" + id).statusCode();
                assertThat(status).isIn(200, 412);
                if (status == 200) {
                    done++;
                } else {
                    seen412++;
                }
            }
            return seen412;
        });
        assertThat(conflicts).hasSize(WRITERS);
        int updates = WRITERS * rounds;
        // every acknowledged increment is in the count: none was lost to a concurrent writer
        fhir().get("/Patient/" + id).then().body("multipleBirthInteger", equalTo(updates))
                .body("meta.versionId", equalTo(Integer.toString(updates + 1)));
        List<String> versions = fhir().get("/Patient/" + id + "/_history?_count=500").then().extract()
                .jsonPath().getList("entry.resource.meta.versionId");
        assertThat(versions.stream().map(Integer::parseInt).sorted().toList())
                .isEqualTo(java.util.stream.IntStream.rangeClosed(1, updates + 1).boxed().toList());
        List<Integer> counts = fhir().get("/Patient/" + id + "/_history?_count=500").then().extract()
                .jsonPath().getList("entry.resource.multipleBirthInteger");
        assertThat(counts.stream().filter(java.util.Objects::nonNull).sorted().toList())
                .isEqualTo(java.util.stream.IntStream.rangeClosed(1, updates).boxed().toList());
    }

    /**
     * Transactions that update the same two resources in opposite orders can deadlock in the
     * database; the server retries the loser or answers 409, never 500, and a retried transaction
     * is whole: its new resources and the references to them are those of the attempt that committed.
     */
    @Test
    void transactionsLockingInOppositeOrdersNeverFailWith500AndStayWhole() throws Exception {
        String a = createPatient("LockA", unique("mrn"));
        String b = createPatient("LockB", unique("mrn"));
        String family = unique("Tx");
        List<Integer> statuses = runConcurrently(writer -> () -> {
            int status = 0;
            for (int round = 0; round < 2; round++) {
                String first = writer % 2 == 0 ? a : b;
                String second = writer % 2 == 0 ? b : a;
                String uuid = "urn:uuid:" + java.util.UUID.randomUUID();
                String bundle = """
                        {"resourceType":"Bundle","type":"transaction","entry":[
                         {"resource":{"resourceType":"Patient","id":"%1$s","name":[{"family":"w%3$d"}]},
                          "request":{"method":"PUT","url":"Patient/%1$s"}},
                         {"fullUrl":"%4$s","resource":{"resourceType":"Patient","name":[{"family":"%5$s"}]},
                          "request":{"method":"POST","url":"Patient"}},
                         {"resource":{"resourceType":"Observation","status":"final","code":{"text":"%5$s"},
                           "subject":{"reference":"%4$s"}},"request":{"method":"POST","url":"Observation"}},
                         {"resource":{"resourceType":"Patient","id":"%2$s","name":[{"family":"w%3$d"}]},
                          "request":{"method":"PUT","url":"Patient/%2$s"}}]}""".formatted(first, second, writer, uuid, family);
                var response = fhir().body(bundle).post("/");
                status = response.statusCode();
                if (status != 200) {
                    response.then().statusCode(409).body("resourceType", equalTo("OperationOutcome"));
                    return status;
                }
            }
            return status;
        });
        assertThat(statuses).containsOnly(200, 409);
        int committed = jdbc.queryForObject("SELECT count(*) FROM resource WHERE res_type = 'Patient' "
                + "AND body->'name'->0->>'family' = ?", Integer.class, family);
        assertThat(committed).isPositive();
        // each committed transaction moved both patients one version on
        var versionA = fhir().get("/Patient/" + a).then().extract().jsonPath().getInt("meta.versionId");
        var versionB = fhir().get("/Patient/" + b).then().extract().jsonPath().getInt("meta.versionId");
        assertThat(versionA).isEqualTo(committed + 1).isEqualTo(versionB);
        // and every committed Observation points at the patient created in the same attempt
        List<String> subjects = fhir().get("/Observation?code:text=" + family + "&_count=500").then().statusCode(200)
                .extract().jsonPath().getList("entry.resource.subject.reference");
        assertThat(subjects).hasSize(committed);
        for (String subject : subjects) {
            fhir().get("/" + subject).then().statusCode(200).body("name[0].family", equalTo(family));
        }
    }

    @Test
    void concurrentConditionalCreatesInTransactionsMakeExactlyOne() throws Exception {
        String mrn = unique("mrn");
        List<Integer> statuses = runConcurrently(writer -> () -> fhir().body("""
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"resource":%s,"request":{"method":"POST","url":"Patient",
                   "ifNoneExist":"identifier=urn:carepath:test:mrn|%s"}}]}""".formatted(patientJson("OnceTx", mrn), mrn))
                .post("/").statusCode());
        assertThat(statuses).containsOnly(200);
        fhir().get("/Patient?identifier=urn:carepath:test:mrn|" + mrn).then().body("total", equalTo(1));
    }

    private List<Integer> runConcurrently(java.util.function.IntFunction<Callable<Integer>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            var start = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < WRITERS; i++) {
                Callable<Integer> call = task.apply(i);
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : futures) {
                statuses.add(f.get());
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }
}
