package org.carepath.fhir;

/** A request body over the configured limit, noticed while it is being read. */
class PayloadTooLarge extends RuntimeException {
    PayloadTooLarge(long limit) {
        super("The request body is larger than the limit of " + limit + " bytes");
    }
}
