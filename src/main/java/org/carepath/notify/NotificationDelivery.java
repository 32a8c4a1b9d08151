package org.carepath.notify;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import ca.uhn.fhir.context.FhirContext;
import io.micrometer.core.instrument.MeterRegistry;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.ResourceStore;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.NestedExceptionUtils;

/**
 * Delivers the outbox: claims due rows (the head of each subscription's queue, skipping what
 * other workers hold), sends each with the JDK HttpClient under a timeout on a pool of its own,
 * and records the outcome: delivered, or failed with the error and the next attempt after an
 * exponential backoff. The Subscription shows it: 'active' after a success, 'error' with the
 * reason after a failure. Any number of workers (replicas) share one database safely; a worker
 * that dies leaves its rows to the others once their lease ends (at-least-once delivery).
 */
public class NotificationDelivery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(NotificationDelivery.class);

    private final NotificationOutbox outbox;
    private final ResourceInteractions interactions;
    private final ResourceStore store;
    private final FhirContext fhir;
    private final NotifyProperties properties;
    private final EndpointAllowList allowList;
    private final UUID owner = UUID.randomUUID();
    private final HttpClient http;
    private final Semaphore slots;
    private final MeterRegistry meters;
    private ScheduledExecutorService poller;
    private ExecutorService senders;
    private volatile boolean running;
    /** The last round failed (logged once until a round succeeds again). */
    private volatile boolean failing;

    NotificationDelivery(NotificationOutbox outbox, ResourceInteractions interactions, ResourceStore store,
                         FhirContext fhir, NotifyProperties properties, MeterRegistry meters) {
        this.meters = meters;
        this.outbox = outbox;
        this.interactions = interactions;
        this.store = store;
        this.fhir = fhir;
        this.properties = properties;
        this.allowList = new EndpointAllowList(properties.allowedEndpoints());
        this.slots = new Semaphore(Math.max(1, properties.maxParallelDeliveries()));
        this.http = HttpClient.newBuilder()
                .connectTimeout(properties.connectTimeout())
                // never follow a redirect: it could lead anywhere, past the allow-list
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        senders = Executors.newFixedThreadPool(Math.max(1, properties.maxParallelDeliveries()), r -> {
            Thread t = new Thread(r, "notify-delivery");
            t.setDaemon(true);
            return t;
        });
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "notify-poll");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(10, properties.pollInterval().toMillis());
        poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (poller != null) {
            poller.shutdownNow();
            senders.shutdown();
            try {
                senders.awaitTermination(properties.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            senders.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** One round: claim as many due rows as there are free senders, and hand them out. */
    void poll() {
        try {
            int free = slots.availablePermits();
            if (free == 0 || !running) {
                return;
            }
            List<NotificationOutbox.Row> rows = outbox.claim(owner, free, properties.lease());
            for (NotificationOutbox.Row row : rows) {
                slots.acquireUninterruptibly();
                senders.execute(() -> {
                    try {
                        deliver(row);
                    } catch (RuntimeException e) {
                        // e.g. the database went away mid-delivery: the lease runs out and the row is retried
                        log.warn("Notification {} of Subscription/{} not settled: {}", row.id(), row.subscriptionId(),
                                e.getMessage());
                    } finally {
                        slots.release();
                    }
                });
            }
            if (failing) {
                failing = false;
                log.info("Notification delivery resumed");
            }
        } catch (RuntimeException e) {
            // e.g. the database is unreachable: said once, not every round
            if (!failing) {
                failing = true;
                log.warn("Notification delivery paused, retrying every {}: {}", properties.pollInterval(),
                        NestedExceptionUtils.getMostSpecificCause(e).getMessage());
            }
        }
    }

    private void deliver(NotificationOutbox.Row row) {
        Subscription subscription;
        try {
            subscription = (Subscription) interactions.read("Subscription", row.subscriptionId());
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            outbox.dropPending(row.subscriptionId(), "Subscription deleted");
            return;
        }
        if (subscription.getStatus() == SubscriptionStatus.OFF) {
            outbox.dropPending(row.subscriptionId(), "Subscription turned off");
            return;
        }
        if (subscription.hasEnd() && subscription.getEnd().toInstant().isBefore(Instant.now())) {
            outbox.dropPending(row.subscriptionId(), "Subscription ended " + subscription.getEndElement().getValueAsString());
            setStatus(subscription, SubscriptionStatus.OFF, null);
            return;
        }
        String error;
        try {
            error = send(row, subscription);
        } catch (RuntimeException e) {
            error = "Delivery failed: " + e.getMessage();
        }
        meters.counter("carepath.notify.deliveries", "outcome", error == null ? "delivered" : "failed").increment();
        if (error == null) {
            if (outbox.delivered(row, owner) && subscription.getStatus() != SubscriptionStatus.ACTIVE) {
                setStatus(subscription, SubscriptionStatus.ACTIVE, null);
            }
        } else {
            var retryIn = properties.backoff(row.attempts());
            outbox.failed(row, owner, error, retryIn);
            log.info("Subscription/{} notification {} failed (attempt {}, next in {}): {}", row.subscriptionId(), row.id(),
                    row.attempts(), retryIn, error);
            if (subscription.getStatus() != SubscriptionStatus.ERROR) {
                setStatus(subscription, SubscriptionStatus.ERROR, error);
            }
        }
    }

    /** Sends one row; the error in words, or null when the endpoint took it (2xx). */
    private String send(NotificationOutbox.Row row, Subscription subscription) {
        String refusal = allowList.refusal(subscription.getChannel().getEndpoint());
        if (refusal != null) {
            return refusal; // the operator has since removed it from the list
        }
        HttpRequest request;
        if (row.handshake() || !subscription.getChannel().hasPayload()) {
            request = RestHookRequests.empty(subscription, properties.requestTimeout());
        } else {
            Optional<StoredResource> version = store.findVersion(row.resourceType(), row.resourceId(), row.resourceVersion());
            if (version.isEmpty() || version.get().deleted()) {
                return null; // nothing left to send: the notification is spent
            }
            IBaseResource resource = interactions.decode(version.get());
            request = RestHookRequests.withPayload(subscription, resource, fhir, properties.requestTimeout());
        }
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 == 2) {
                return null;
            }
            return "The endpoint answered HTTP " + response.statusCode();
        } catch (HttpTimeoutException e) {
            return "The endpoint did not answer within " + properties.requestTimeout().toSeconds() + " s";
        } catch (IOException e) {
            return "The endpoint could not be reached: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "Delivery interrupted (server stopping)";
        }
    }

    /** Shows the delivery state on the Subscription, unless a client changed it meanwhile (then the next delivery does). */
    private void setStatus(Subscription read, SubscriptionStatus status, String error) {
        Subscription changed = read.copy();
        changed.setStatus(status);
        changed.setError(error);
        try {
            interactions.update("Subscription", read.getIdElement().getIdPart(), changed,
                    Integer.parseInt(read.getMeta().getVersionId()));
        } catch (BaseServerResponseException e) {
            log.debug("Subscription/{} status not updated: {}", read.getIdElement().getIdPart(), e.getMessage());
        }
    }
}
