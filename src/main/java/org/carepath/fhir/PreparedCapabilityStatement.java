package org.carepath.fhir;

import java.util.UUID;

import ca.uhn.fhir.rest.annotation.Metadata;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ServerCapabilityStatementProvider;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import org.carepath.BackgroundBuild;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;

/**
 * HAPI's CapabilityStatement from the providers' method bindings, built once on a background
 * thread as soon as the FHIR servlet is initialised, so that the first /metadata does not spend
 * its second of CPU on a cold JVM building it. The bindings do not change after initialisation;
 * what depends on the request (the server's base URL in implementation.url and in operation
 * definitions) is filled in on every call, as HAPI would have. The interceptors that complete the
 * statement (CapabilityStatementCustomizer, SMART) still run on every build, after this.
 */
class PreparedCapabilityStatement extends ServerCapabilityStatementProvider {

    /** Stands for the requester's base URL in the prepared statement. */
    private static final String REQUESTER_BASE = "urn:carepath:requester-base/";

    private final RestfulServer server;
    private final BackgroundBuild<CapabilityStatement> prepared = new BackgroundBuild<>("capability-statement",
            () -> (CapabilityStatement) super.getServerConformance(null, null));

    PreparedCapabilityStatement(RestfulServer server) {
        super(server);
        this.server = server;
    }

    /** Starts building the statement on its own thread; a request that comes first waits for it. */
    void prepareInBackground() {
        prepared.start();
    }

    @Override
    @Metadata
    public IBaseConformance getServerConformance(HttpServletRequest request, RequestDetails details) {
        CapabilityStatement template = prepared.start().exceptionally(failure -> null).join();
        if (template == null) { // the background build failed: build it here, and fail as HAPI would
            return super.getServerConformance(request, details);
        }
        CapabilityStatement statement = template.copy();
        statement.setId(UUID.randomUUID().toString());
        ServletContext context = request == null ? null
                : (ServletContext) request.getAttribute(RestfulServer.SERVLET_CONTEXT_ATTRIBUTE);
        statement.getImplementation().setUrl(server.getServerAddressStrategy().determineServerBase(context, request));
        String base = super.getOperationDefinitionPrefix(details);
        for (var rest : statement.getRest()) {
            rest.getOperation().forEach(operation -> rebase(operation.getDefinitionElement(), base));
            for (var resource : rest.getResource()) {
                resource.getOperation().forEach(operation -> rebase(operation.getDefinitionElement(), base));
            }
        }
        return statement;
    }

    private static void rebase(CanonicalType definition, String base) {
        String url = definition.getValue();
        if (url != null && url.startsWith(REQUESTER_BASE)) {
            definition.setValue(base + url.substring(REQUESTER_BASE.length()));
        }
    }

    /** In the prepared statement only (built without a request): a stand-in for the requester's base. */
    @Override
    protected String getOperationDefinitionPrefix(RequestDetails details) {
        return details == null ? REQUESTER_BASE : super.getOperationDefinitionPrefix(details);
    }
}
