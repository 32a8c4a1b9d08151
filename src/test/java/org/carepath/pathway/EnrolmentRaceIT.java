package org.carepath.pathway;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.carepath.pathway.CarePlanApplyIT.procedure;

/**
 * Enrolment racing with updates of the same surgery: however the writes interleave, the patient
 * has exactly one active CarePlan, dated from the Procedure as it finally stands.
 */
class EnrolmentRaceIT extends EndToEndTest {

    private static final int WRITERS = 6;

    @Test
    void concurrentWritesOfOneSurgeryLeaveOnePlanDatedFromTheFinalProcedure() throws Exception {
        for (int round = 0; round < 2; round++) {
            String patient = createPatient(unique("Race"), unique("mrn"));
            String id = unique("surgery");
            List<Integer> statuses = concurrently(writer -> {
                // each writer moves the surgery to its own day; the first write creates and enrols
                String date = "2027-03-%02dT08:00:00+01:00".formatted(10 + writer);
                String body = procedure(patient, "27279", date, null)
                        .replace("{\"resourceType\":\"Procedure\",", "{\"resourceType\":\"Procedure\",\"id\":\"" + id + "\",");
                return fhir().body(body).put("/Procedure/" + id).statusCode();
            });
            assertThat(statuses).containsOnly(200, 201);
            assertThat(statuses.stream().filter(s -> s == 201)).hasSize(1);

            String finalDate = fhir().get("/Procedure/" + id).then().statusCode(200).extract().path("performedDateTime");
            JsonPath plans = fhir().get("/CarePlan?subject=Patient/" + patient + "&status=active").then().statusCode(200)
                    .extract().jsonPath();
            assertThat(plans.getInt("total")).as("active plans in round %d", round).isEqualTo(1);
            assertThat(plans.getString("entry[0].resource.activity.detail.find { it.description.startsWith("
                    + "'SI joint fusion surgery:') }.scheduledPeriod.start")).isEqualTo(finalDate);
            assertThat(plans.getList("entry[0].resource.supportingInfo.reference")).containsExactly("Procedure/" + id);
            // and no plan of any status besides it
            assertThat(fhir().get("/CarePlan?subject=Patient/" + patient).then().extract().jsonPath().getInt("total"))
                    .isEqualTo(1);
        }
    }

    private static List<Integer> concurrently(java.util.function.IntFunction<Integer> write) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                int writer = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return write.apply(writer);
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
