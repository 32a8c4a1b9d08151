package org.carepath;

import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** The actuator health groups the Kubernetes probes use. */
class HealthIT extends EndToEndTest {

    private String actuator() {
        return "http://localhost:" + port + "/actuator";
    }

    @Test
    void livenessAndReadinessAreUpAndReadinessIncludesTheDatabase() {
        RestAssured.get(actuator() + "/health/liveness").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.get(actuator() + "/health/readiness").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.get(actuator() + "/health").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.get(actuator()).then().statusCode(200)
                .body("_links.keySet()", hasItem("health"));
    }
}
