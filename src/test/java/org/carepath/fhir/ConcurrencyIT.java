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

/** Version checks and conditional creates hold when many clients write at once. */
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
