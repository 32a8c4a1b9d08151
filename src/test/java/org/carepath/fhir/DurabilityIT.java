package org.carepath.fhir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.restassured.RestAssured;
import org.carepath.EndToEndTest;
import org.carepath.PackagedServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Acknowledged writes survive the server being killed in the middle of its work: a second server
 * process, from the packaged jar, is killed with SIGKILL under load and its writes are read back.
 */
class DurabilityIT extends EndToEndTest {

    /**
     * Several writers (single creates and transaction Bundles) keep writing while the server is
     * killed with SIGKILL. Afterwards every acknowledged write is there and searchable (its index
     * rows committed with it), every transaction attempted, acknowledged or not, is there whole or
     * not at all, and the server starts again on the same database.
     */
    @Test
    void sustainedWritesSurviveKillMinus9WholeOrNotAtAll() throws Exception {
        int port = PackagedServer.freePort();
        String log = "target/durability-sustained.log";
        Process server = PackagedServer.start(port, log, Map.of());
        String base = "http://localhost:" + port + "/fhir";
        String run = unique("Crash");
        List<String> acknowledgedPatients = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> acknowledgedTransactions = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> attemptedTransactions = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Integer> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        int writers = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            PackagedServer.waitForMetadata(base, server, log);
            // The packaged server also exposes its metrics for Prometheus (tests disable export).
            RestAssured.given().baseUri("http://localhost:" + port).basePath("").get("/actuator/prometheus")
                    .then().statusCode(200).body(org.hamcrest.Matchers.containsString("jvm_memory_used_bytes"));
            for (int w = 0; w < writers; w++) {
                int writer = w;
                pool.submit(() -> {
                    for (int n = 0; !killed.get(); n++) {
                        String marker = run + "-" + writer + "-" + n;
                        try {
                            if (n % 2 == 0) {
                                var response = RestAssured.given().baseUri(base).basePath("").contentType(FHIR_JSON)
                                        .body(patientJson(run, marker)).post("/Patient");
                                if (response.statusCode() == 201) {
                                    acknowledgedPatients.add(marker);
                                } else if (!killed.get()) {
                                    unexpected.add(response.statusCode());
                                }
                            } else {
                                attemptedTransactions.add(marker);
                                var response = RestAssured.given().baseUri(base).basePath("").contentType(FHIR_JSON)
                                        .body(transaction(run, marker)).post("/");
                                if (response.statusCode() == 200) {
                                    acknowledgedTransactions.add(marker);
                                } else if (!killed.get()) {
                                    unexpected.add(response.statusCode());
                                }
                            }
                        } catch (Exception connectionLost) {
                            if (!killed.get()) {
                                unexpected.add(-1);
                            }
                        }
                    }
                });
            }
            while (acknowledgedPatients.size() + acknowledgedTransactions.size() < 60) {
                Thread.sleep(100);
                assertThat(server.isAlive()).isTrue();
            }
        } finally {
            killed.set(true);
            server.destroyForcibly(); // SIGKILL in the middle of the writers' requests
            server.waitFor();
            pool.shutdown();
            pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(unexpected).as("failures before the kill").isEmpty();

        // This test's own server reads the same database.
        for (String mrn : acknowledgedPatients) {
            fhir().get("/Patient?identifier=urn:carepath:test:mrn|" + mrn).then().statusCode(200).body("total", equalTo(1));
        }
        for (String marker : attemptedTransactions) {
            int patients = fhir().get("/Patient?identifier=urn:carepath:test:mrn|" + marker).then().extract().path("total");
            int observations = fhir().get("/Observation?identifier=urn:carepath:test:crash|" + marker
                    + "&subject:Patient.identifier=urn:carepath:test:mrn|" + marker).then().extract().path("total");
            // whole or not at all: both entries, the Observation pointing at the Patient, or neither
            assertThat(List.of(patients, observations)).as("transaction %s", marker).isIn(List.of(0, 0), List.of(1, 1));
            if (acknowledgedTransactions.contains(marker)) {
                assertThat(patients).as("acknowledged transaction %s", marker).isEqualTo(1);
            }
        }
        // No half-written row anywhere: every version has its resource, every live resource its body.
        assertThat(jdbc.queryForObject("SELECT count(*) FROM resource WHERE NOT deleted AND body IS NULL", Integer.class))
                .isZero();

        // And the server starts again on the database it crashed on, and serves what it acknowledged.
        String restartLog = "target/durability-restart.log";
        Process restarted = PackagedServer.start(port, restartLog, Map.of());
        try {
            PackagedServer.waitForMetadata(base, restarted, restartLog);
            String mrn = acknowledgedPatients.get(acknowledgedPatients.size() - 1);
            RestAssured.given().baseUri(base).basePath("").get("/Patient?identifier=urn:carepath:test:mrn|" + mrn)
                    .then().statusCode(200).body("total", equalTo(1));
        } finally {
            restarted.destroyForcibly();
            restarted.waitFor();
        }
    }

    /** A Patient and an Observation about it, both carrying the marker, in one transaction. */
    private static String transaction(String family, String marker) {
        return """
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"fullUrl":"urn:uuid:%3$s","resource":%1$s,"request":{"method":"POST","url":"Patient"}},
                 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"crash test"},
                   "identifier":[{"system":"urn:carepath:test:crash","value":"%2$s"}],
                   "subject":{"reference":"urn:uuid:%3$s"}},"request":{"method":"POST","url":"Observation"}}]}"""
                .formatted(patientJson(family, marker), marker, java.util.UUID.randomUUID());
    }
}
