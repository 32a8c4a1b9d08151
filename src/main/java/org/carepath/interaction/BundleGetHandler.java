package org.carepath.interaction;

import org.hl7.fhir.instance.model.api.IBaseResource;

/** Answers a GET entry of a Bundle (a read, vread or search URL relative to the base). */
public interface BundleGetHandler {
    IBaseResource get(String relativeUrl);
}
