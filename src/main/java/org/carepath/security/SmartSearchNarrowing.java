package org.carepath.security;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizedList;
import ca.uhn.fhir.rest.server.interceptor.auth.SearchNarrowingInterceptor;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.carepath.search.SearchParameters;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;

/**
 * HAPI's search narrowing: for a token that sees a type only through patient scopes, every search
 * (including conditional URLs and the searches in Bundles) gets the patient's compartment added
 * as a criterion, whatever parameters the client sent; a client asking for another patient by
 * name gets 403.
 */
class SmartSearchNarrowing extends SearchNarrowingInterceptor {

    /** Types CarePath adds to the Patient compartment, with the parameter that places them there. */
    private final Map<String, String> added = new java.util.HashMap<>();

    SmartSearchNarrowing(SearchParameters parameters) {
        setNarrowConditionalUrls(true);
        parameters.compartmentAdditions("Patient").forEach((type, names) -> added.put(type, names.iterator().next()));
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
        if (type != null && added.containsKey(type)) {
            return null; // narrowed in hookIncomingRequestPostProcessed: HAPI knows only R4's compartment
        }
        boolean narrow = type == null || type.isEmpty() ? token.patientOnly()
                : SmartAuthorization.compartmentOnly(token, type);
        return narrow ? new AuthorizedList().addCompartment("Patient/" + token.patientId()) : null;
    }

    /**
     * HAPI narrows {@code Patient?...} with {@code _id=Patient/123}; the search takes plain ids
     * (as FHIR defines {@code _id}), so the type prefix goes.
     */
    @Override
    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public void hookIncomingRequestPostProcessed(RequestDetails request, HttpServletRequest servletRequest,
                                                 HttpServletResponse servletResponse) throws AuthenticationException {
        super.hookIncomingRequestPostProcessed(request, servletRequest, servletResponse);
        narrowAddedMember(request);
        String[] ids = request.getParameters().get("_id");
        if (ids != null && request.getResourceName() != null
                && request.getRestOperationType() == RestOperationTypeEnum.SEARCH_TYPE) {
            String prefix = request.getResourceName() + "/";
            Map<String, String[]> parameters = new LinkedHashMap<>(request.getParameters());
            String[] plain = new String[ids.length];
            for (int i = 0; i < ids.length; i++) {
                plain[i] = ids[i].replace(prefix, "");
            }
            parameters.put("_id", plain);
            request.setParameters(parameters);
        }
    }

    /**
     * A search of a type CarePath adds to the Patient compartment (Task) by a patient token gets
     * the patient as one more criterion (AND), whatever else the client asked.
     */
    private void narrowAddedMember(RequestDetails request) {
        String type = request.getResourceName();
        SmartScopes token = RequestTokens.of(request);
        if (type == null || !added.containsKey(type) || token.patientId() == null
                || !SmartAuthorization.compartmentOnly(token, type)
                || request.getRestOperationType() != RestOperationTypeEnum.SEARCH_TYPE) {
            return;
        }
        Map<String, String[]> parameters = new LinkedHashMap<>(request.getParameters());
        String name = added.get(type);
        String[] given = parameters.getOrDefault(name, new String[0]);
        String[] narrowed = java.util.Arrays.copyOf(given, given.length + 1);
        narrowed[given.length] = "Patient/" + token.patientId();
        parameters.put(name, narrowed);
        request.setParameters(parameters);
    }

    /**
     * HAPI narrows every GET entry of a Bundle as a search, reads ({@code Observation/1}) too,
     * which would turn them into searches; reads keep their URL and are checked on the way out.
     */
    @Override
    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void hookIncomingRequestPreHandled(ServletRequestDetails request, HttpServletRequest servletRequest,
                                              HttpServletResponse servletResponse) throws AuthenticationException {
        Map<BundleEntryComponent, String> reads = new IdentityHashMap<>();
        if (request.getResource() instanceof Bundle bundle) {
            for (BundleEntryComponent entry : bundle.getEntry()) {
                String url = entry.getRequest().getUrl();
                if (entry.getRequest().getMethod() == Bundle.HTTPVerb.GET && url != null && !url.contains("?")
                        && url.replaceAll("^/+", "").contains("/")) {
                    reads.put(entry, url);
                }
            }
        }
        super.hookIncomingRequestPreHandled(request, servletRequest, servletResponse);
        reads.forEach((entry, url) -> entry.getRequest().setUrl(url));
    }
}
