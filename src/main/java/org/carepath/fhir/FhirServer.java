package org.carepath.fhir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.ETagSupportEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.commons.lang3.RandomStringUtils;
import org.carepath.CarePathProperties;
import org.carepath.interaction.BundleInteractions;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.pathway.PathwayPlans;
import org.carepath.search.SearchParameters;
import org.carepath.validation.ProfileValidator;

/** HAPI's plain RestfulServer with one provider per resource type and the system provider. */
class FhirServer extends RestfulServer {

    private final transient RequestSizeLimit sizeLimit;
    private final transient CompartmentRoutes compartments;
    private final transient PreparedCapabilityStatement capabilities;

    FhirServer(FhirContext fhir, CarePathProperties properties, ResourceInteractions interactions,
               BundleInteractions bundles, SearchResults searches, SearchParameters parameters,
               ProfileValidator validator, PathwayPlans plans, String version) {
        super(fhir, new SnapshotInterceptorService());
        this.sizeLimit = new RequestSizeLimit(properties.fhir().maxRequestSize().toBytes());
        this.compartments = new CompartmentRoutes(fhir.getResourceTypes());
        setServerName("CarePath");
        setServerVersion(version);
        setImplementationDescription("CarePath: FHIR R4 server for surgical care pathways");
        setDefaultResponseEncoding(EncodingEnum.JSON);
        setETagSupport(ETagSupportEnum.ENABLED);
        int maxPageSize = properties.fhir().maxPageSize();
        setDefaultPageSize(properties.fhir().defaultPageSize());
        setMaximumPageSize(maxPageSize);
        setPagingProvider(new StatelessPagingProvider(properties.fhir().defaultPageSize(), maxPageSize, searches));

        List<ca.uhn.fhir.rest.server.IResourceProvider> providers = new ArrayList<>();
        for (String type : new TreeSet<>(fhir.getResourceTypes())) {
            providers.add(new ResourceTypeProvider(fhir.getResourceDefinition(type).getImplementingClass(), type,
                    interactions, searches, maxPageSize, validator));
        }
        setResourceProviders(providers);
        registerProvider(new SystemProvider(bundles, interactions, searches, maxPageSize));
        registerProvider(new PatientEverythingProvider(interactions, searches));
        registerProvider(new PlanDefinitionApplyProvider(fhir, plans));
        registerInterceptor(new ErrorTranslation());
        registerInterceptor(new RequestFormat());
        // HAPI derives each type's revincludes by asking every provider about every other type
        // (146 x 146 binding scans): most of the seconds a CapabilityStatement took to build.
        // CapabilityStatementCustomizer lists them from the search parameters instead.
        this.capabilities = new PreparedCapabilityStatement(this);
        capabilities.setRestResourceRevIncludesEnabled(false);
        setServerConformanceProvider(capabilities);
        registerInterceptor(new CapabilityStatementCustomizer(parameters));
        registerInterceptor(new HistoryLinks());
        registerInterceptor(new StoredJsonResponses(interactions));
    }

    /** Once the bindings are known, the CapabilityStatement is built ahead of the first /metadata. */
    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        capabilities.prepareInBackground();
    }

    /**
     * HAPI caches the CapabilityStatement once built, but concurrent first requests each build
     * one, which takes seconds of CPU on a cold JVM: clients polling /metadata at start-up
     * then pile up. The first one builds it; the others wait for it.
     */
    private final transient Object firstCapabilityStatement = new Object();
    private volatile boolean capabilityStatementBuilt;

    /**
     * The X-Request-ID of a request that brought none. HAPI draws its characters from a shared
     * SecureRandom; an id that only traces a request need not be unguessable.
     */
    @Override
    protected String newRequestId(int length) {
        return RandomStringUtils.insecure().nextAlphanumeric(length);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        HttpServletRequest routed = sizeLimit.limit(compartments.route(request));
        if (!capabilityStatementBuilt && "/metadata".equals(request.getPathInfo())) {
            synchronized (firstCapabilityStatement) {
                super.service(routed, response);
                capabilityStatementBuilt = true;
            }
            return;
        }
        super.service(routed, response);
    }
}
