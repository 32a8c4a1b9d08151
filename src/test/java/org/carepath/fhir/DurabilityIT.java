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
 * An acknowledged write survives the server being killed right after answering: a second server
 * process, from the packaged jar, is killed with SIGKILL and its writes are read back.
 */
class DurabilityIT extends EndToEndTest {

    @Test
    void acknowledgedWritesSurviveKillMinus9() throws Exception {
        Path jar = Files.list(Path.of("target"))
                .filter(p -> p.getFileName().toString().matches("carepath-.*\\.jar")).findFirst()
                .orElseThrow(() -> new IllegalStateException("run after 'mvn package': no jar in target/"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx512m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(new File("target/durability-server.log"));
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().put("SPRING_FLYWAY_ENABLED", "false");
        // Security on, as deployed: the jar trusts the tests' authorization server (the writes
        // below carry its system token through the default token filter of EndToEndTest).
        builder.environment().put("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", org.carepath.TestTokens.issuer());
        Process server = builder.start();
        List<String> ids = new ArrayList<>();
        String family = unique("Durable");
        try {
            String base = "http://localhost:" + port + "/fhir";
            waitForMetadata(base, server);
            // The packaged server also exposes its metrics for Prometheus (tests disable export).
            RestAssured.given().baseUri("http://localhost:" + port).basePath("").get("/actuator/prometheus")
                    .then().statusCode(200).body(org.hamcrest.Matchers.containsString("jvm_memory_used_bytes"));
            for (int i = 0; i < 20; i++) {
                ids.add(RestAssured.given().baseUri(base).basePath("").contentType(FHIR_JSON)
                        .body(patientJson(family, unique("mrn"))).post("/Patient")
                        .then().statusCode(201).extract().path("id"));
            }
        } finally {
            server.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
            server.waitFor();
        }
        // This test's own server reads the same database.
        for (String id : ids) {
            fhir().get("/Patient/" + id).then().statusCode(200).body("name[0].family", equalTo(family));
        }
        fhir().get("/Patient?family=" + family).then().body("total", equalTo(ids.size()));
        assertThat(ids).hasSize(20);
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
