package org.carepath.fhir;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.restassured.RestAssured;
import org.carepath.EndToEndTest;
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
        Path jar = packagedJar();
        int port = freePort();
        Process server = start(jar, port, "target/durability-sustained.log");
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
            waitForMetadata(base, server);
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
        Process restarted = start(jar, port, "target/durability-restart.log");
        try {
            waitForMetadata(base, restarted);
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

    private static Path packagedJar() throws java.io.IOException {
        try (var files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().matches("carepath-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("run after 'mvn package': no jar in target/"));
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Process start(Path jar, int port, String log) throws java.io.IOException {
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx512m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(new File(log));
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().put("SPRING_FLYWAY_ENABLED", "false");
        // Security on, as deployed: the jar trusts the tests' authorization server (the writes
        // carry its system token through the default token filter of EndToEndTest).
        builder.environment().put("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", org.carepath.TestTokens.issuer());
        return builder.start();
    }

    private static void waitForMetadata(String base, Process server) throws InterruptedException {
        for (int i = 0; i < 240; i++) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see target/durability-server.log");
            }
            try {
                if (RestAssured.given().baseUri(base).basePath("").get("/metadata").statusCode() == 200) {
                    return;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("server did not start in 2 minutes");
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
