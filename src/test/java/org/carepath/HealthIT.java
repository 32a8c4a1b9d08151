package org.carepath;

import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** The actuator health groups the Kubernetes probes use. */
class HealthIT extends EndToEndTest {

    @Test
    void livenessAndReadinessAreUpAndReadinessIncludesTheDatabase() {
        RestAssured.given().basePath("").get("/actuator/health/liveness").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.given().basePath("").get("/actuator/health/readiness").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.given().basePath("").get("/actuator/health").then().statusCode(200)
                .body("status", equalTo("UP"));
        RestAssured.given().basePath("").get("/actuator/prometheus").then().statusCode(200);
        RestAssured.given().basePath("").get("/actuator").then().statusCode(200)
                .body("_links.keySet()", hasItem("health"));
    }
}
