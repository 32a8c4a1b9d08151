package org.carepath.notify;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import io.restassured.path.json.JsonPath;
import org.carepath.EndToEndTest;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.ResourceStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.carepath.monitoring.RiskMonitoringIT.checkIn;
import static org.carepath.monitoring.RiskMonitoringIT.enrolledPatient;
import static org.carepath.monitoring.RiskMonitoringIT.now;
import static org.carepath.monitoring.RiskMonitoringIT.post;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** FHIR R4 rest-hook Subscriptions: handshake, delivery from the outbox, retries, several workers, the allow-list. */
class SubscriptionIT extends EndToEndTest {

    /** A request a subscriber received. */
    record Received(String method, String path, String authorization, String body) {
    }

    /** A real local HTTP endpoint that records what it receives and answers 200. */
    static final class Subscriber {
        final HttpServer server;
        final List<Received> received;

        Subscriber(int port, List<Received> received) throws IOException {
            this.received = received;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        exchange.getRequestHeaders().getFirst("Authorization"), body));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        String endpoint() {
            return "http://127.0.0.1:" + port() + "/hook";
        }

        void stop() {
            server.stop(0);
        }
    }

    private final List<Subscriber> subscribers = new ArrayList<>();
    private final List<NotificationDelivery> extraWorkers = new ArrayList<>();

    @Autowired
    NotificationOutbox outbox;
    @Autowired
    ResourceInteractions interactions;
    @Autowired
    ResourceStore store;
    @Autowired
    FhirContext fhirContext;
    @Autowired
    NotifyProperties properties;
    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @AfterEach
    void stopServers() {
        subscribers.forEach(Subscriber::stop);
        extraWorkers.forEach(NotificationDelivery::stop);
    }

    private Subscriber subscriber(int port) throws IOException {
        Subscriber subscriber = new Subscriber(port, new CopyOnWriteArrayList<>());
        subscribers.add(subscriber);
        return subscriber;
    }

    static String subscription(String criteria, String endpoint, String payload) {
        return """
                {"resourceType":"Subscription","status":"requested","reason":"Alerts for the EHR",
                 "criteria":"%s",
                 "channel":{"type":"rest-hook","endpoint":"%s",%s
                            "header":["Authorization: Bearer ehr-secret"]}}""".formatted(criteria, endpoint,
                payload == null ? "" : "\"payload\":\"" + payload + "\",");
    }

    static String subscribe(String body) {
        return fhir().body(body).post("/Subscription").then().statusCode(201).extract().path("id");
    }

    /** Polls until the condition holds; fails after the deadline (no fixed sleeps). */
    static void await(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static String status(String subscription) {
        return fhir().get("/Subscription/" + subscription).then().statusCode(200).extract().path("status");
    }

    @Test
    void aSubscriberReceivesTheAlertsItSubscribedTo() throws IOException {
        Subscriber ehr = subscriber(0);
        Subscriber team = subscriber(0);
        String organization = fhir().body("{\"resourceType\":\"Organization\",\"name\":\"Spine surgery\"}")
                .post("/Organization").then().statusCode(201).extract().path("id");
        String patient = enrolledPatient(now().minusDays(3), organization);
        String other = enrolledPatient(now().minusDays(3), null);
        String id = subscribe(subscription("Flag?patient=Patient/" + patient, ehr.endpoint(),
                "application/fhir+json"));
        String tasks = subscribe(subscription("Task?owner=Organization/" + organization + "&priority=urgent,asap,stat",
                team.endpoint(), "application/fhir+xml"));
        await("the handshake made the subscription active", () -> "active".equals(status(id)));
        await("the handshake made the other subscription active", () -> "active".equals(status(tasks)));
        assertThat(ehr.received).hasSize(1);
        assertThat(ehr.received.get(0).method()).isEqualTo("POST");
        assertThat(ehr.received.get(0).body()).isEmpty();
        assertThat(ehr.received.get(0).authorization()).isEqualTo("Bearer ehr-secret");

        post(checkIn(other, now(), Map.of("fever", true)));     // not this subscription's patient
        post(checkIn(patient, now(), Map.of("fever", true)));
        String flag = fhir().get("/Flag?patient=" + patient).then().extract().path("entry[0].resource.id");
        await("the Flag was delivered", () -> ehr.received.size() >= 2);

        Received notification = ehr.received.get(1);
        assertThat(notification.method()).isEqualTo("PUT");
        assertThat(notification.path()).isEqualTo("/hook/Flag/" + flag);
        assertThat(notification.authorization()).isEqualTo("Bearer ehr-secret");
        JsonPath body = new JsonPath(notification.body());
        assertThat(body.getString("resourceType")).isEqualTo("Flag");
        assertThat(body.getString("subject.reference")).isEqualTo("Patient/" + patient);
        awaitDrained(id);
        assertThat(ehr.received).hasSize(2);

        // the surgeon's team hears of the care-team Task, as XML
        String task = fhir().get("/Task?owner=Organization/" + organization).then().extract().path("entry[0].resource.id");
        await("the Task was delivered", () -> team.received.size() >= 2);
        assertThat(team.received.get(1).path()).isEqualTo("/hook/Task/" + task);
        assertThat(team.received.get(1).body()).startsWith("<Task xmlns=\"http://hl7.org/fhir\"");
    }

    /** Until the subscription has nothing pending. */
    private void awaitDrained(String subscription) {
        await("the outbox of " + subscription + " is drained", () -> pending(subscription) == 0);
    }

    private int pending(String subscription) {
        Integer n = jdbc.queryForObject("SELECT count(*) FROM notify_outbox WHERE subscription_id = ? AND state = 'pending'",
                Integer.class, subscription);
        return n == null ? 0 : n;
    }

    @Test
    void aSubscriberThatIsDownForAWhileReceivesTheNotificationWhenItComesBack() throws IOException {
        Subscriber reserved = subscriber(0);
        int port = reserved.port();
        reserved.stop(); // nothing listens on the port now
        subscribers.remove(reserved);
        String patient = createPatient(unique("Notify"), unique("mrn"));
        String id = subscribe(subscription("Flag?patient=" + patient, "http://127.0.0.1:" + port + "/hook", null));

        await("the subscription shows the error", () -> "error".equals(status(id)));
        fhir().get("/Subscription/" + id).then().body("error", containsString("could not be reached"));
        String flag = fhir().body("""
                {"resourceType":"Flag","status":"active","code":{"text":"Call the patient"},
                 "subject":{"reference":"Patient/%s"}}""".formatted(patient)).post("/Flag")
                .then().statusCode(201).extract().path("id");
        await("the handshake was retried", () -> {
            Map<String, Object> head = jdbc.queryForMap("SELECT attempts, last_error FROM notify_outbox"
                    + " WHERE subscription_id = ? ORDER BY id LIMIT 1", id);
            return ((Number) head.get("attempts")).intValue() >= 2 && head.get("last_error") != null;
        });
        assertThat(pending(id)).isEqualTo(2); // the handshake, then the Flag

        Subscriber back = subscriber(port);
        await("both were delivered", () -> back.received.size() >= 2);
        await("the subscription is active again", () -> "active".equals(status(id)));
        assertThat(back.received.get(0).body()).isEmpty();          // the handshake first,
        assertThat(back.received.get(1).method()).isEqualTo("POST"); // then the empty notification
        awaitDrained(id);
        assertThat(back.received).hasSize(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM notify_outbox WHERE subscription_id = ? AND res_id = ?"
                + " AND state = 'delivered'", Integer.class, id, flag)).isEqualTo(1);
    }

    @Test
    void severalWorkersOnOneDatabaseDeliverEachNotificationOnceAndInOrder() throws IOException {
        for (int i = 0; i < 2; i++) {
            NotificationDelivery worker = new NotificationDelivery(outbox, interactions, store, fhirContext, properties, meters);
            worker.start();
            extraWorkers.add(worker);
        }
        Subscriber ehr = subscriber(0);
        String patient = createPatient(unique("Notify"), unique("mrn"));
        String id = subscribe(subscription("Flag?patient=" + patient, ehr.endpoint(), "application/fhir+json"));
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            flags.add(fhir().body("""
                    {"resourceType":"Flag","status":"active","code":{"text":"Flag %d"},
                     "subject":{"reference":"Patient/%s"}}""".formatted(i, patient)).post("/Flag")
                    .then().statusCode(201).extract().path("id"));
        }
        await("all were delivered", () -> ehr.received.size() >= 13);
        awaitDrained(id);
        List<String> delivered = ehr.received.stream().skip(1).map(r -> r.path().substring("/hook/Flag/".length())).toList();
        assertThat(delivered).containsExactlyElementsOf(flags);
        assertThat(ehr.received).hasSize(13);
    }

    @Test
    void anEndpointTheOperatorDidNotAllowIsRefused() {
        for (String endpoint : List.of("http://localhost:8080/hook", "http://10.0.0.1/hook", "http://127.0.0.1.example.org/hook",
                "ftp://127.0.0.1/hook", "http://user@127.0.0.1:9999/hook")) {
            fhir().body(subscription("Flag?patient=123", endpoint, null)).post("/Subscription").then()
                    .statusCode(400)
                    .body("resourceType", equalTo("OperationOutcome"))
                    .body("issue[0].diagnostics", containsString("endpoint"));
        }
        fhir().body(subscription("Flag?no-such-parameter=1", "http://127.0.0.1:9999/hook", null)).post("/Subscription")
                .then().statusCode(400).body("issue[0].diagnostics", containsString("no-such-parameter"));
        fhir().body(subscription("Flag?patient=123", "http://127.0.0.1:9999/hook", null).replace("requested", "active"))
                .post("/Subscription").then().statusCode(400).body("issue[0].diagnostics", containsString("requested"));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM resource r WHERE res_type = 'Subscription'"
                + " AND body->'channel'->>'endpoint' IN ('http://localhost:8080/hook', 'http://10.0.0.1/hook')", Integer.class))
                .isZero();
    }

    @Test
    void aHangingEndpointDoesNotHoldUpOtherSubscribers() throws IOException {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        HttpServer hanging = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hanging.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        hanging.createContext("/", exchange -> {
            try {
                release.await(); // never answers while the test runs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        hanging.start();
        try {
            Subscriber ehr = subscriber(0);
            String patient = createPatient(unique("Notify"), unique("mrn"));
            String stuck = subscribe(subscription("Flag?patient=" + patient,
                    "http://127.0.0.1:" + hanging.getAddress().getPort() + "/hook", null));
            String id = subscribe(subscription("Flag?patient=" + patient, ehr.endpoint(), null));
            fhir().body("""
                    {"resourceType":"Flag","status":"active","code":{"text":"Call the patient"},
                     "subject":{"reference":"Patient/%s"}}""".formatted(patient)).post("/Flag").then().statusCode(201);
            await("the working subscriber got the handshake and the Flag", () -> ehr.received.size() >= 2);
            await("the hanging endpoint is reported", () -> "error".equals(status(stuck)));
            fhir().get("/Subscription/" + stuck).then().body("error", containsString("did not answer"));
            assertThat(status(id)).isEqualTo("active");
        } finally {
            release.countDown();
            hanging.stop(0);
        }
    }
}
