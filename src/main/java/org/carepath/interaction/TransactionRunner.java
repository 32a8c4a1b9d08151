package org.carepath.interaction;

import java.util.function.Supplier;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs an interaction in one database transaction, so a request commits whole or leaves nothing.
 * Conflicts the database resolves by aborting one side (deadlock, a concurrent insert of the same
 * id) are retried a few times; database outages become 503, never a hanging request or a 500.
 */
@Component
public class TransactionRunner {

    private static final Logger log = LoggerFactory.getLogger(TransactionRunner.class);
    private static final int ATTEMPTS = 4;

    private final TransactionTemplate writes;
    private final TransactionTemplate reads;

    public TransactionRunner(PlatformTransactionManager transactions) {
        this.writes = new TransactionTemplate(transactions);
        // Reads run outside a database transaction: at PostgreSQL's read committed each statement
        // sees its own snapshot inside one too, and BEGIN and COMMIT cost a read a second round
        // trip and a fifth of its database CPU (docs/performance.md). The scope keeps one connection.
        this.reads = new TransactionTemplate(transactions);
        this.reads.setPropagationBehavior(TransactionDefinition.PROPAGATION_SUPPORTS);
        this.reads.setReadOnly(true);
    }

    public <T> T write(Supplier<T> work) {
        return run(writes, work);
    }

    public <T> T read(Supplier<T> work) {
        return run(reads, work);
    }

    private <T> T run(TransactionTemplate template, Supplier<T> work) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            return work.get(); // part of an enclosing transaction, which owns retries
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return template.execute(status -> work.get());
            } catch (PessimisticLockingFailureException | DuplicateKeyException e) {
                if (attempt == ATTEMPTS) {
                    throw new ResourceVersionConflictException(
                            "The request conflicted with concurrent changes; try again");
                }
                log.debug("Retrying after a transaction conflict (attempt {})", attempt, e);
            } catch (BaseServerResponseException e) {
                throw e;
            } catch (RuntimeException e) {
                throw translate(e);
            }
        }
    }

    static RuntimeException translate(RuntimeException e) {
        if (DatabaseFailures.isUnavailable(e)) {
            log.warn("Database unavailable: {}", e.getMessage());
            return new UnclassifiedServerFailureException(503,
                    "The database is unavailable; try again shortly");
        }
        if (e instanceof DataIntegrityViolationException) {
            log.info("Database refused content: {}", e.getMessage());
            return new InvalidRequestException("The content could not be stored: it holds values the database refuses");
        }
        return e;
    }
}
