package org.carepath.security;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizedList;
import ca.uhn.fhir.rest.server.interceptor.auth.SearchNarrowingInterceptor;

/**
 * HAPI's search narrowing: for a token that sees a type only through patient scopes, every search
 * (including conditional URLs and the GET entries of Bundles) gets the patient's compartment added
 * as a criterion, whatever parameters the client sent; a client asking for another patient by
 * name gets 403.
 */
class SmartSearchNarrowing extends SearchNarrowingInterceptor {

    SmartSearchNarrowing() {
        setNarrowConditionalUrls(true);
    }

    @Override
    protected AuthorizedList buildAuthorizedList(RequestDetails request) {
        SmartScopes token = RequestTokens.of(request);
        String type = request.getResourceName();
        if (token.patientId() == null) {
            return null;
        }
        // For Bundles the type is per entry; HAPI asks once per request, so narrow whenever the
        // token's data access is patient-only.
        boolean narrow = type == null || type.isEmpty() ? token.patientOnly()
                : SmartAuthorization.compartmentOnly(token, type);
        return narrow ? new AuthorizedList().addCompartment("Patient/" + token.patientId()) : null;
    }
}
