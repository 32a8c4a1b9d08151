package org.carepath.interaction;

import java.time.Instant;

import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * What a write did.
 *
 * @param resource the resource as stored now (null after a delete or when nothing existed)
 */
public record WriteResult(Outcome outcome, String type, String id, int version, Instant lastUpdated,
                          IBaseResource resource) {

    public enum Outcome {
        CREATED,
        UPDATED,
        DELETED,
        /** A conditional create found its match: nothing was written. */
        MATCHED,
        /** A delete found nothing live to delete. */
        NOTHING_TO_DELETE
    }

    public boolean created() {
        return outcome == Outcome.CREATED;
    }
}
