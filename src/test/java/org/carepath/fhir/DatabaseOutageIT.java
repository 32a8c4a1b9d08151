package org.carepath.fhir;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

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
}
