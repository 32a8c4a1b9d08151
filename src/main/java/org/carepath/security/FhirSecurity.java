package org.carepath.security;

import ca.uhn.fhir.rest.server.RestfulServer;
import org.carepath.search.SearchParameters;
import org.carepath.CarePathProperties;
import org.carepath.interaction.ResourceInteractions;
import org.springframework.stereotype.Component;

/**
 * Everything security adds to the FHIR server, registered by the HTTP face: the audit trail
 * always; with security on, SMART scope checks (HAPI's AuthorizationInterceptor and
 * SearchNarrowingInterceptor, plus {@link ScopeGuard}) and the CapabilityStatement's
 * {@code rest.security}.
 */
@Component
public class FhirSecurity {

    private final SearchParameters parameters;
    private final CarePathProperties properties;
    private final ResourceInteractions interactions;
    private final AuditTrail audit;
    private final AuthorizationServer authorizationServer;
    private final CorsProperties cors;
    private final AuditLog auditLog;

    FhirSecurity(SearchParameters parameters, CarePathProperties properties, ResourceInteractions interactions, AuditTrail audit,
                 AuthorizationServer authorizationServer, CorsProperties cors, AuditLog auditLog) {
        this.auditLog = auditLog;
        this.parameters = parameters;
        this.properties = properties;
        this.interactions = interactions;
        this.audit = audit;
        this.authorizationServer = authorizationServer;
        this.cors = cors;
    }

    /** Waits until every AuditEvent recorded so far is stored (they are written in the background). */
    public void flushAuditTrail() {
        auditLog.flush();
    }

    public void registerWith(RestfulServer server) {
        server.registerInterceptor(audit);
        if (!properties.security().enabled()) {
            return;
        }
        SmartAuthorization rules = new SmartAuthorization(parameters);
        server.registerInterceptor(new SmartSearchNarrowing(parameters));
        server.registerInterceptor(new ScopeGuard(rules, interactions));
        server.registerInterceptor(rules);
        server.registerInterceptor(new SmartCapabilities(authorizationServer, !cors.origins().isEmpty()));
    }
}
