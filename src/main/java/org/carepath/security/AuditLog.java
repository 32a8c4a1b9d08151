package org.carepath.security;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.carepath.interaction.ResourceInteractions;
import org.hl7.fhir.r4.model.AuditEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Stores AuditEvents off the request path: requests put them on a bounded queue, two writers store
 * them in batches (one transaction per batch). A full queue makes requests wait rather than drop
 * events; a clean shutdown stops after the web server has finished its requests and writes what is
 * left before the database pool closes.
 */
@Component
class AuditLog implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    /**
     * Ten batches: enough for bursts, and small beside the heap. With 10,000 the queue held up to
     * 7,000 events while the writer fell behind 1,000 reads/s, which left the old generation no
     * room and cost 23 full collections in one benchmark run; when it is full, requests wait for
     * the writer instead (docs/performance.md, "Reads and searches answered unparsed").
     */
    private static final int CAPACITY = 2_000;
    private static final int BATCH = 200;
    /**
     * One writer waited on the database for about half of each batch: at 1,200 reads/s the queue
     * filled and requests waited for it while half a core stood idle. A second encodes while the
     * first waits (docs/performance.md, session 18).
     */
    private static final int WRITERS = 2;

    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final ResourceInteractions interactions;
    private final ca.uhn.fhir.context.FhirContext fhir;
    private final Object written = new Object();
    private volatile boolean running;
    /** Recorded and not yet stored (or given up on). */
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Thread> writers = new ArrayList<>();

    AuditLog(ResourceInteractions interactions, ca.uhn.fhir.context.FhirContext fhir) {
        this.fhir = fhir;
        this.interactions = interactions;
    }

    void record(AuditEvent event) {
        pending.incrementAndGet();
        try {
            if (!queue.offer(event, 30, TimeUnit.SECONDS)) {
                pending.decrementAndGet();
                log.error("Audit queue full for 30 s; AuditEvent not stored: {}", fhir.newJsonParser().encodeResourceToString(event));
            }
        } catch (InterruptedException e) {
            pending.decrementAndGet();
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every event recorded so far is stored (tests, and shutdown). */
    void flush() {
        synchronized (written) {
            while (pending.get() > 0) {
                if (!running) {
                    writeAll();
                    return;
                }
                try {
                    written.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            try {
                AuditEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<AuditEvent> batch = new ArrayList<>(BATCH);
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                try {
                    store(batch);
                } finally {
                    pending.addAndGet(-batch.size());
                    synchronized (written) {
                        written.notifyAll();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void writeAll() {
        List<AuditEvent> rest = new ArrayList<>();
        queue.drainTo(rest);
        if (!rest.isEmpty()) {
            store(rest);
            pending.addAndGet(-rest.size());
        }
    }

    /**
     * One transaction per batch, written in one go; a database outage (any failure but a refusal
     * of content) is retried for a while, then logged whole. An event the store refuses (4xx) is
     * logged alone: it must not take its batch's other events with it.
     */
    private void store(List<AuditEvent> batch) {
        for (int attempt = 1; ; attempt++) {
            try {
                // one round trip for the batch's rows and one for their index rows
                interactions.createAll(batch);
                return;
            } catch (RuntimeException e) {
                if (e instanceof ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException refusal
                        && refusal.getStatusCode() < 500) {
                    refused(batch, refusal);
                    return;
                }
                if (!waitedToRetry(attempt, batch, e)) {
                    return;
                }
            }
        }
    }

    private void refused(List<AuditEvent> batch, RuntimeException refusal) {
        if (batch.size() > 1) {
            batch.forEach(event -> store(List.of(event)));
        } else {
            log.error("AuditEvent refused by the store ({}): {}", refusal.getMessage(),
                    fhir.newJsonParser().encodeResourceToString(batch.get(0)));
        }
    }

    /** Waits before the next attempt; after the fifth, or when interrupted, logs the batch and says no. */
    private boolean waitedToRetry(int attempt, List<AuditEvent> batch, RuntimeException failure) {
        if (attempt >= 5) {
            log.error("Could not store {} AuditEvents: {}", batch.size(), failure.getMessage());
            batch.forEach(event -> log.error("Unstored AuditEvent: {}", fhir.newJsonParser().encodeResourceToString(event)));
            return false;
        }
        try {
            Thread.sleep(500L * attempt);
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void start() {
        running = true;
        for (int i = 1; i <= WRITERS; i++) {
            Thread writer = new Thread(this::run, "audit-writer-" + i);
            writer.setDaemon(true);
            writer.start();
            writers.add(writer);
        }
    }

    @Override
    public void stop() {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            for (Thread writer : writers) {
                writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writers.clear();
        writeAll();
        log.info("Audit log drained");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops after the web server (a higher phase), so the last requests' events are written too. */
    @Override
    public int getPhase() {
        return 0;
    }
}
