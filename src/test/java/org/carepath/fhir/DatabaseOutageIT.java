package org.carepath.fhir;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.restassured.RestAssured;
import org.carepath.EndToEndTest;
import org.carepath.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * While the database is unreachable, requests fail fast with 503 and an OperationOutcome; when it
 * is back, the same server serves again without a restart.
 */
class DatabaseOutageIT extends EndToEndTest {

    private static TcpProxy proxy;

    @DynamicPropertySource
    static void throughProxy(DynamicPropertyRegistry registry) throws Exception {
        String url = System.getenv().getOrDefault("SPRING_DATASOURCE_URL", "jdbc:postgresql://localhost:5432/carepath");
        URI target = URI.create(url.substring("jdbc:".length()));
        proxy = new TcpProxy(target.getHost(), target.getPort());
        String proxied = "jdbc:postgresql://127.0.0.1:" + proxy.port() + target.getPath();
        registry.add("spring.datasource.url", () -> proxied);
    }

    @AfterAll
    static void closeProxy() throws Exception {
        proxy.close();
    }

    @Test
    void requestsGet503QuicklyDuringAnOutageAndSucceedAfterIt() throws Exception {
        String id = createPatient("Outage", unique("mrn"));
        proxy.cut();
        try {
            Instant start = Instant.now();
            fhir().get("/Patient/" + id).then().statusCode(503)
                    .body("resourceType", equalTo("OperationOutcome"))
                    .body("issue[0].diagnostics", containsString("database"));
            assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(10));
            fhir().body(patientJson("DuringOutage", unique("mrn"))).post("/Patient").then().statusCode(503)
                    .body("resourceType", equalTo("OperationOutcome"));
            RestAssured.get("http://localhost:" + port + "/actuator/health/readiness").then().statusCode(503);
            RestAssured.get("http://localhost:" + port + "/actuator/health/liveness").then().statusCode(200);
        } finally {
            proxy.restore();
        }
        int status = 0;
        for (int attempt = 0; attempt < 20 && status != 200; attempt++) {
            status = fhir().get("/Patient/" + id).statusCode();
            if (status != 200) {
                Thread.sleep(500);
            }
        }
        assertThat(status).isEqualTo(200);
        RestAssured.get("http://localhost:" + port + "/actuator/health/readiness").then().statusCode(200);
    }
    /** One answer seen by a client during the outage test. */
    private record Seen(long atMillis, int status, long tookMillis, boolean outcome) {
    }

    /**
     * Readers and writers keep going while the database is cut off for a while (5 s by default,
     * {@code -Dcarepath.test.outageSeconds=30} for the 30 s): they get 2xx or 503 with an
     * OperationOutcome, each answer comes within seconds, and when the database is back the same
     * server serves everyone again, without a restart, with every acknowledged write in place.
     */
    @Test
    void underLoadAnOutageGives503sAndTheServerRecoversByItself() throws Exception {
        long outage = Long.getLong("carepath.test.outageSeconds", 5) * 1000;
        String known = createPatient("OutageLoad", unique("mrn"));
        String family = unique("Load");
        List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        long t0 = System.currentTimeMillis();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        for (int w = 0; w < 4; w++) {
            boolean writer = w % 2 == 0;
            pool.submit(() -> {
                while (!stop.get()) {
                    long start = System.currentTimeMillis();
                    String mrn = unique("mrn");
                    var response = writer ? fhir().body(patientJson(family, mrn)).post("/Patient")
                            : start % 2 == 0 ? fhir().get("/Patient/" + known) : fhir().get("/Patient?family=" + family);
                    long took = System.currentTimeMillis() - start;
                    boolean outcome = response.statusCode() < 300
                            || "OperationOutcome".equals(response.jsonPath().getString("resourceType"));
                    seen.add(new Seen(start - t0, response.statusCode(), took, outcome));
                    if (response.statusCode() == 201) {
                        acknowledged.add(mrn);
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        Thread.sleep(2_000);
        long cutAt = System.currentTimeMillis() - t0;
        proxy.cut();
        long restoredAt;
        try {
            Thread.sleep(outage);
        } finally {
            proxy.restore();
            restoredAt = System.currentTimeMillis() - t0;
        }
        // recovered: every request of a full second succeeds, within 30 s of the database's return
        long deadline = System.currentTimeMillis() + 30_000;
        boolean recovered = false;
        while (!recovered && System.currentTimeMillis() < deadline) {
            Thread.sleep(1_000);
            long now = System.currentTimeMillis() - t0;
            synchronized (seen) {
                List<Seen> lastSecond = seen.stream().filter(x -> x.atMillis() > now - 1_000).toList();
                recovered = !lastSecond.isEmpty() && lastSecond.stream().allMatch(x -> x.status() < 300);
            }
        }
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(recovered).as("the server serves again without a restart").isTrue();
        synchronized (seen) {
            assertThat(seen).extracting(Seen::status).containsOnly(200, 201, 503).contains(503);
            assertThat(seen).allMatch(Seen::outcome, "every error carries an OperationOutcome");
            // requests made and answered while the database was away got 503, and were not left hanging
            assertThat(seen.stream().filter(x -> x.atMillis() > cutAt && x.atMillis() + x.tookMillis() < restoredAt))
                    .isNotEmpty().allMatch(x -> x.status() == 503);
            assertThat(seen).allMatch(x -> x.tookMillis() < 10_000, "answered within seconds");
        }
        for (String mrn : acknowledged) {
            fhir().get("/Patient?identifier=urn:carepath:test:mrn|" + mrn).then().statusCode(200)
                    .body("total", equalTo(1));
        }
        RestAssured.get("http://localhost:" + port + "/actuator/health/readiness").then().statusCode(200);
    }
}
