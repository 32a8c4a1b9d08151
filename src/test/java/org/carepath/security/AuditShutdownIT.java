package org.carepath.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.restassured.RestAssured;
import org.carepath.EndToEndTest;
import org.carepath.PackagedServer;
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
        int port = PackagedServer.freePort();
        String log = "target/audit-shutdown-server.log";
        // a small pool: the machine's PostgreSQL is shared
        Process server = PackagedServer.start(port, log, Map.of("SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE", "4"));
        String marker = unique("shutdown");
        int requests = 40;
        try {
            String base = "http://localhost:" + port + "/fhir";
            PackagedServer.waitForMetadata(base, server, log);
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
        assertThat(stored).as(Files.readString(Path.of(log))).isEqualTo(requests);
    }
}
