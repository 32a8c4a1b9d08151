package org.carepath.interaction;

import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Told of every committed-to-be write inside its transaction, so that what follows from a write
 * (a care plan from a scheduled surgery, an alert from a check-in) commits with it or not at all.
 * A listener may write through {@link ResourceInteractions}; its writes join the same transaction
 * and are announced to the listeners in turn.
 */
public interface ResourceWriteListener {

    /**
     * @param result   what was written (the resource as stored; null resource after a delete)
     * @param previous the version it replaced, or null when it was created
     */
    void afterWrite(WriteResult result, IBaseResource previous);
}
