package org.carepath.security;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.restassured.RestAssured;
import org.carepath.EndToEndTest;
import org.carepath.TestTokens;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * AuditEvents are written off the request path, and a clean shutdown (SIGTERM, as Kubernetes
 * sends it) still stores every one of them: a second server from the packaged jar answers
 * requests and is stopped at once, then its audit trail is read from the shared database.
 */
class AuditShutdownIT extends EndToEndTest {

    @Test
    void aCleanShutdownStoresEveryPendingAuditEvent() throws Exception {
        Path jar = Files.list(Path.of("target"))
                .filter(p -> p.getFileName().toString().matches("carepath-.*\\.jar")).findFirst()
                .orElseThrow(() -> new IllegalStateException("run after 'mvn package': no jar in target/"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(new File("target/audit-shutdown-server.log"));
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().put("SPRING_FLYWAY_ENABLED", "false");
        builder.environment().put("SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE", "4"); // the machine's PostgreSQL is shared
        builder.environment().put("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", TestTokens.issuer());
        Process server = builder.start();
        String marker = unique("shutdown");
        int requests = 40;
        try {
            String base = "http://localhost:" + port + "/fhir";
            waitForMetadata(base, server);
            for (int i = 0; i < requests; i++) {
                RestAssured.given().baseUri(base).basePath("").accept(FHIR_JSON)
                        .header("Authorization", "Bearer " + TestTokens.SYSTEM)
                        .get("/Patient?family=" + marker).then().statusCode(200);
            }
        } finally {
            server.destroy(); // SIGTERM: Spring's graceful shutdown
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        Integer stored = jdbc.queryForObject("""
                SELECT count(*) FROM resource WHERE res_type = 'AuditEvent' AND body::text LIKE ?""",
                Integer.class, "%family=" + marker + "%");
        assertThat(stored).as(Files.readString(Path.of("target/audit-shutdown-server.log"))).isEqualTo(requests);
    }

    private static void waitForMetadata(String base, Process server) throws InterruptedException {
        for (int i = 0; i < 240; i++) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see target/audit-shutdown-server.log");
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
}
