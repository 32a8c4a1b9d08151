package org.carepath.security;

import java.util.Iterator;
import java.util.List;
import java.util.Optional;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import org.carepath.interaction.ResourceCodec;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.HistoryQuery;
import org.carepath.store.StoredResource;
import org.carepath.security.SmartScopes.Permission;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * What HAPI's rule engine cannot see in a plain server, checked with the same rules:
 * <ul>
 *   <li>the SMART permission each interaction needs (v2 separates read from search and create
 *       from update; HAPI's rules do not);</li>
 *   <li>the stored resource an update or delete replaces (HAPI checks it from storage hooks that
 *       only its JPA server fires), for patient tokens, alone and in Bundle entries;</li>
 *   <li>the resource instance-level $validate reads, and what operations need;</li>
 *   <li>search, history and Bundle responses: entries the token may not see (an _include of
 *       another patient, a forged page link) are left out, rather than failing the whole
 *       response, which would tell that they exist.</li>
 * </ul>
 */
@Interceptor
class ScopeGuard {

    private final SmartAuthorization rules;
    private final ResourceInteractions interactions;

    ScopeGuard(SmartAuthorization rules, ResourceInteractions interactions) {
        this.rules = rules;
        this.interactions = interactions;
    }

    /** Runs before HAPI's own checks (order 0), after narrowing (an earlier pointcut). */
    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = -10)
    public void check(RequestDetails request, Pointcut pointcut) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        if (operation == null || operation == RestOperationTypeEnum.METADATA) {
            return;
        }
        SmartScopes token = RequestTokens.of(request);
        if (token.grants().stream().noneMatch(token::usable)) {
            throw new ForbiddenOperationException("The access token grants no FHIR resource scopes"
                    + (token.grants().isEmpty() ? "" : " (patient scopes need a 'patient' claim)"));
        }
        if (token.grants().stream().anyMatch(g -> token.usable(g) && g.context() == SmartScopes.Context.PATIENT)) {
            // HAPI's compartment rules read what is returned
            request.getUserData().put(ResourceCodec.PARSED_RESPONSE, Boolean.TRUE);
        }
        String type = request.getResourceName();
        switch (operation) {
            case READ, VREAD -> {
                need(token, type, Permission.READ);
                if (SmartAuthorization.compartmentOnly(token, type) && request.getId() != null) {
                    hideAnotherPatientsDeleted(request, type, request.getId().getIdPart(), pointcut);
                }
            }
            case HISTORY_INSTANCE -> {
                need(token, type, Permission.READ);
                if (SmartAuthorization.compartmentOnly(token, type) && request.getId() != null) {
                    String id = request.getId().getIdPart();
                    stored(type, id).ifPresent(resource -> {
                        if (decide(request, RestOperationTypeEnum.READ, null, resource, pointcut) != PolicyEnum.ALLOW) {
                            throw new ResourceNotFoundException(new IdType(type, id));
                        }
                    });
                }
            }
            case HISTORY_TYPE -> {
                need(token, type, Permission.READ);
                if (SmartAuthorization.compartmentOnly(token, type)) {
                    throw new ForbiddenOperationException("History of a whole type spans patients; a patient token"
                            + " searches its own resources instead");
                }
            }
            case HISTORY_SYSTEM -> {
                if (token.patientOnly()) {
                    throw new ForbiddenOperationException("History of the whole server spans patients; a patient"
                            + " token searches its own resources instead");
                }
            }
            case SEARCH_TYPE -> {
                need(token, type, Permission.SEARCH);
                checkHas(request, token, type);
            }
            case CREATE -> need(token, type, Permission.CREATE);
            case UPDATE -> {
                need(token, type, Permission.UPDATE);
                checkStored(request, type, request.getId(), RestOperationTypeEnum.UPDATE, pointcut);
            }
            case DELETE -> {
                need(token, type, Permission.DELETE);
                checkStored(request, type, request.getId(), RestOperationTypeEnum.DELETE, pointcut);
            }
            case TRANSACTION -> {
                if (request.getResource() instanceof Bundle bundle && bundle.getType() != Bundle.BundleType.BATCH
                        && bundle.getType() != Bundle.BundleType.TRANSACTION) {
                    // as the Bundle processing answers it, before HAPI's rules refuse it with 422
                    throw new ca.uhn.fhir.rest.server.exceptions.InvalidRequestException(
                            "Bundle.type must be 'transaction' or 'batch' to be processed, not '"
                                    + (bundle.getType() == null ? "(missing)" : bundle.getType().toCode()) + "'");
                }
                if (request.getResource() instanceof Bundle bundle) {
                    for (BundleEntryComponent entry : bundle.getEntry()) {
                        checkEntry(request, token, entry, pointcut);
                    }
                }
            }
            case EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_INSTANCE -> checkOperation(request, token, type, pointcut);
            default -> {
                // GET_PAGE: its entries are checked on the way out
            }
        }
    }

    /**
     * A search that narrowing leaves whole (shared content such as Practitioner or Questionnaire)
     * must not filter by other patients' data through {@code _has}: which practitioners have
     * observations of patient 456 is that patient's data.
     */
    private void checkHas(RequestDetails request, SmartScopes token, String type) {
        if (SmartAuthorization.compartmentOnly(token, type) && rules.inPatientCompartment(type)) {
            return; // narrowed to the patient's compartment: _has relates the patient's own resources
        }
        for (String name : request.getParameters().keySet()) {
            String[] parts = name.split(":");
            for (int i = 0; i + 1 < parts.length; i++) {
                if (parts[i].equals("_has") && SmartAuthorization.compartmentOnly(token, parts[i + 1])
                        && rules.inPatientCompartment(parts[i + 1])) {
                    throw new ForbiddenOperationException("_has over " + parts[i + 1] + " would search other patients'"
                            + " data: a patient token cannot filter " + type + " by it");
                }
            }
        }
    }

    private void checkOperation(RequestDetails request, SmartScopes token, String type, Pointcut pointcut) {
        String name = request.getOperation();
        if ("$validate".equals(name)) {
            if (java.util.Arrays.stream(Permission.values()).noneMatch(p -> token.allows(type, p))) {
                throw new ForbiddenOperationException("$validate on " + type + " needs a scope for " + type);
            }
            IdType id = request.getId() == null ? null : new IdType(request.getId().getValue());
            if (id != null && id.hasIdPart()) {
                need(token, type, Permission.READ);
                stored(type, id.getIdPart()).ifPresent(resource -> {
                    if (decide(request, RestOperationTypeEnum.READ, null, resource, pointcut) != PolicyEnum.ALLOW) {
                        throw new ResourceNotFoundException(new IdType(type, id.getIdPart()));
                    }
                });
            }
        } else if ("$apply".equals(name)) {
            // $apply reads the pathway and the patient's surgery and returns a CarePlan
            need(token, "PlanDefinition", Permission.READ);
            need(token, "CarePlan", Permission.READ);
        } else if ("$everything".equals(name)) {
            need(token, "Patient", Permission.READ);
            if ((request.getId() == null || !request.getId().hasIdPart()) && token.patientId() != null
                    && SmartAuthorization.compartmentOnly(token, "Patient")) {
                throw new ForbiddenOperationException("Patient/$everything covers every patient: a patient token may ask"
                        + " Patient/" + token.patientId() + "/$everything");
            }
        }
    }

    private void checkEntry(RequestDetails request, SmartScopes token, BundleEntryComponent entry, Pointcut pointcut) {
        if (!entry.hasRequest() || entry.getRequest().getMethod() == null || !entry.getRequest().hasUrl()) {
            // said here as the Bundle processing says it: HAPI's rules would refuse it with a vaguer message
            throw new ca.uhn.fhir.rest.server.exceptions.InvalidRequestException("Bundle entry "
                    + ((Bundle) request.getResource()).getEntry().indexOf(entry) + " needs request.method and request.url");
        }
        String url = entry.getRequest().getUrl();
        int question = url.indexOf('?');
        String[] path = (question >= 0 ? url.substring(0, question) : url).split("/");
        String type = path[0];
        String id = path.length > 1 && !path[1].isEmpty() ? path[1] : null;
        if (type.isEmpty() || !Character.isUpperCase(type.charAt(0))) {
            return;
        }
        switch (entry.getRequest().getMethod()) {
            case GET, HEAD -> need(token, type, question >= 0 || id == null ? Permission.SEARCH : Permission.READ);
            case POST -> need(token, type, Permission.CREATE);
            case PUT -> {
                need(token, type, Permission.UPDATE);
                if (id != null && question < 0) {
                    checkStored(request, type, new IdType(type, id), RestOperationTypeEnum.UPDATE, pointcut);
                }
            }
            case DELETE -> {
                need(token, type, Permission.DELETE);
                if (id != null && question < 0) {
                    checkStored(request, type, new IdType(type, id), RestOperationTypeEnum.DELETE, pointcut);
                }
            }
            default -> throw new ForbiddenOperationException("Bundle entry method " + entry.getRequest().getMethod()
                    + " is not supported");
        }
    }

    private void need(SmartScopes token, String type, Permission permission) {
        if ("AuditEvent".equals(type) && permission != Permission.READ && permission != Permission.SEARCH) {
            throw new ForbiddenOperationException("AuditEvents are written by the server only");
        }
        if (type != null && (!token.allows(type, permission) || !rules.reachable(token, type))) {
            throw new ForbiddenOperationException("The access token has no scope that allows "
                    + permission.name().toLowerCase(java.util.Locale.ROOT) + " on " + type);
        }
    }

    /**
     * For patient tokens: the resource an update or delete would replace must itself be in the
     * patient's compartment (HAPI has checked the new content already).
     */
    private void checkStored(RequestDetails request, String type, org.hl7.fhir.instance.model.api.IIdType id,
                             RestOperationTypeEnum operation, Pointcut pointcut) {
        SmartScopes token = RequestTokens.of(request);
        if (id == null || !id.hasIdPart() || !SmartAuthorization.compartmentOnly(token, type)) {
            return;
        }
        stored(type, id.getIdPart()).ifPresent(current -> {
            if (decide(request, operation, current, null, pointcut) != PolicyEnum.ALLOW) {
                throw new ForbiddenOperationException("Access denied: " + type + "/" + id.getIdPart()
                        + " is outside the patient's compartment");
            }
        });
    }

    /**
     * A deleted resource answers 410, which would tell a patient token that another patient's
     * resource existed: judged by its last live version, it is 404 unless it was the patient's own.
     */
    private void hideAnotherPatientsDeleted(RequestDetails request, String type, String id, Pointcut pointcut) {
        try {
            interactions.read(type, id);
        } catch (ResourceGoneException gone) {
            List<StoredResource> versions = interactions.history(new HistoryQuery(type, id, null, null), 0, 100);
            boolean own = versions.stream().filter(v -> !v.deleted()).findFirst()
                    .map(interactions::decode)
                    .map(last -> decide(request, RestOperationTypeEnum.READ, null, last, pointcut) == PolicyEnum.ALLOW)
                    .orElse(false);
            if (!own) {
                throw new ResourceNotFoundException(new IdType(type, id));
            }
        } catch (BaseServerResponseException notFound) {
            // unknown ids answer 404 as they are
        }
    }

    private Optional<IBaseResource> stored(String type, String id) {
        try {
            return Optional.of(interactions.read(type, id));
        } catch (BaseServerResponseException notThereOrGone) {
            return Optional.empty();
        }
    }

    private PolicyEnum decide(RequestDetails request, RestOperationTypeEnum operation, IBaseResource input,
                              IBaseResource output, Pointcut pointcut) {
        return rules.applyRulesAndReturnDecision(operation, request, input,
                input == null ? null : input.getIdElement(), output, pointcut).getDecision();
    }

    /** Before HAPI's own check of the response (order 0), which then finds only what may be seen. */
    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = -10)
    public void filter(RequestDetails request, IBaseResource response, Pointcut pointcut) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        if (!(response instanceof Bundle bundle) || operation == null) {
            return;
        }
        switch (operation) {
            case SEARCH_TYPE, GET_PAGE, HISTORY_INSTANCE, HISTORY_TYPE, HISTORY_SYSTEM -> {
                boolean removed = removeUnseen(request, bundle, operation, pointcut);
                if (operation == RestOperationTypeEnum.GET_PAGE && (removed || RequestTokens.of(request).patientOnly())) {
                    bundle.setTotalElement(null); // a forged page link must not count others' resources
                }
            }
            case EXTENDED_OPERATION_INSTANCE, EXTENDED_OPERATION_TYPE -> {
                // $everything answers like a search: what the token may not see is left out
                if ("$everything".equals(request.getOperation())
                        && removeUnseen(request, bundle, RestOperationTypeEnum.SEARCH_TYPE, pointcut)) {
                    bundle.setTotalElement(null);
                }
            }
            case TRANSACTION -> {
                for (BundleEntryComponent entry : bundle.getEntry()) {
                    if (entry.getResource() instanceof Bundle nested) {
                        if (removeUnseen(request, nested, RestOperationTypeEnum.SEARCH_TYPE, pointcut)) {
                            nested.setTotalElement(null);
                        }
                    } else if (entry.getResource() != null && !(entry.getResource() instanceof OperationOutcome)
                            && decide(request, RestOperationTypeEnum.READ, null, entry.getResource(), pointcut)
                            != PolicyEnum.ALLOW) {
                        entry.setResource(null);
                        entry.getResponse().setStatus("404 Not Found");
                    }
                }
            }
            default -> {
            }
        }
    }

    private boolean removeUnseen(RequestDetails request, Bundle bundle, RestOperationTypeEnum operation,
                                 Pointcut pointcut) {
        boolean removed = false;
        for (Iterator<BundleEntryComponent> it = bundle.getEntry().iterator(); it.hasNext(); ) {
            IBaseResource resource = it.next().getResource();
            if (resource == null || resource instanceof OperationOutcome) {
                continue;
            }
            if (decide(request, operation, null, resource, pointcut) != PolicyEnum.ALLOW) {
                it.remove();
                removed = true;
            }
        }
        return removed;
    }
}
