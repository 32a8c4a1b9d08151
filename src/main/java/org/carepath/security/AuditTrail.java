package org.carepath.security;

import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.carepath.interaction.ResourceCodec;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * One AuditEvent per FHIR request (the CapabilityStatement aside), allowed or refused: who (token
 * subject, client, fhirUser), what (the interaction, the resource or the query), which patients
 * (the token's and those whose resources were sent or written), when and with what outcome. Codes
 * are FHIR R4's own: audit-event-type {@code rest}, restful-interaction, object-role, audit-entity-type.
 */
@Interceptor
@org.springframework.stereotype.Component
class AuditTrail {

    static final String OUTCOME = AuditTrail.class.getName() + ".outcome";
    static final String PATIENTS = AuditTrail.class.getName() + ".patients";
    static final String CREATED = AuditTrail.class.getName() + ".created";
    /** More patients in one response are summarised by the query; each event stays small. */
    private static final int MAX_PATIENTS = 100;
    /** What FHIR strings may not hold (below U+0020 but tab, CR and LF), and the store refuses. */
    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F]");

    private final AuditLog log;
    private final FhirContext fhir;
    private final ResourceCodec codec;

    AuditTrail(AuditLog log, FhirContext fhir, ResourceCodec codec) {
        this.log = log;
        this.fhir = fhir;
        this.codec = codec;
    }

    /** After ScopeGuard's filter: only what was really sent counts. */
    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = 100)
    public void sent(RequestDetails request, IBaseResource response) {
        if (response != null) {
            patients(request).addAll(patientsOf(response));
            if (request.getRestOperationType() == RestOperationTypeEnum.CREATE && response.getIdElement().hasIdPart()) {
                request.getUserData().put(CREATED, fhir.getResourceType(response) + "/" + response.getIdElement().getIdPart());
            }
        }
    }

    @Hook(Pointcut.SERVER_HANDLE_EXCEPTION)
    public boolean failed(RequestDetails request, BaseServerResponseException exception) {
        request.getUserData().put(OUTCOME, exception);
        return true;
    }

    @Hook(Pointcut.SERVER_PROCESSING_COMPLETED)
    public void completed(RequestDetails request) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        if (operation == RestOperationTypeEnum.METADATA) {
            return;
        }
        if (request.getResource() != null && operation != RestOperationTypeEnum.TRANSACTION) {
            patients(request).addAll(patientsOf(request.getResource()));
        }
        Object failure = request.getUserData().get(OUTCOME);
        int status = failure instanceof BaseServerResponseException e ? e.getStatusCode() : 200;
        String message = failure instanceof BaseServerResponseException e ? e.getMessage() : null;
        log.record(event(RequestTokens.of(request), operation, request, status, message));
    }

    /** A request refused before it reached the FHIR server: no valid token. */
    void refused(String method, String path, String query, String remoteAddress, String reason) {
        AuditEvent event = base(RequestTokens.none(), AuditEventAction.E, "rest", 401, reason, remoteAddress);
        event.addEntity().setType(entityType("2", "System Object")).setRole(role("24", "Query"))
                .setDescription(storable(method + " " + path)).setQuery(query == null ? null : query.getBytes(StandardCharsets.UTF_8));
        log.record(event);
    }

    private AuditEvent event(SmartScopes token, RestOperationTypeEnum operation, RequestDetails request, int status,
                             String message) {
        String remote = request instanceof ServletRequestDetails servlet
                ? servlet.getServletRequest().getRemoteAddr() : null;
        AuditEvent event = base(token, action(operation), interaction(operation), status, message, remote);
        String what = request.getUserData().get(CREATED) instanceof String created ? created : target(request);
        String query = queryOf(request.getParameters());
        var entity = event.addEntity().setType(entityType("2", "System Object"))
                .setDescription(storable(request.getRequestType() + " " + request.getRequestPath()
                        + (query.isEmpty() ? "" : "?" + query)));
        if (what != null) {
            entity.setWhat(new Reference(storable(what))).setRole(role("4", "Domain Resource"));
        }
        if (!query.isEmpty()) {
            entity.setQuery(query.getBytes(StandardCharsets.UTF_8)).setRole(role("24", "Query"));
        }
        Set<String> patients = new LinkedHashSet<>();
        if (token.patientId() != null) {
            patients.add("Patient/" + token.patientId());
        }
        patients.addAll(patients(request));
        patients.stream().limit(MAX_PATIENTS).forEach(patient -> event.addEntity().setWhat(new Reference(patient))
                .setType(entityType("1", "Person")).setRole(role("1", "Patient")));
        return event;
    }

    private AuditEvent base(SmartScopes token, AuditEventAction action, String interaction, int status, String message,
                            String remoteAddress) {
        AuditEvent event = new AuditEvent();
        event.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"));
        if (interaction != null) {
            event.addSubtype(new Coding("http://hl7.org/fhir/restful-interaction", interaction, null));
        }
        event.setAction(action).setRecorded(new Date());
        event.setOutcome(status < 400 ? AuditEventOutcome._0 : status < 500 ? AuditEventOutcome._4 : AuditEventOutcome._8);
        event.setOutcomeDesc(status < 400 ? "HTTP " + status : storable("HTTP " + status + ": " + message));
        var agent = event.addAgent().setRequestor(true);
        if (token.subject() != null) {
            agent.getWho().setIdentifier(new Identifier().setSystem(token.issuer()).setValue(storable(token.subject())));
        }
        if (token.fhirUser() != null) {
            agent.getWho().setReference(storable(relative(token.fhirUser())));
        }
        if (token.subject() == null && token.fhirUser() == null) {
            agent.getWho().setDisplay("anonymous");
        }
        agent.setAltId(token.clientId() == null ? null : storable(token.clientId()));
        if (remoteAddress != null) {
            agent.getNetwork().setAddress(storable(remoteAddress)).setType(AuditEvent.AuditEventAgentNetworkType._2);
        }
        event.getSource().setSite("CarePath").getObserver().setDisplay("CarePath FHIR server");
        return event;
    }

    /**
     * The text with the control characters a FHIR string may not hold replaced (U+FFFD): a query
     * or a message that echoes one must not make its AuditEvent unstorable. The query itself is
     * kept as sent, in {@code entity.query} (base64Binary).
     */
    private static String storable(String text) {
        return CONTROL.matcher(text).replaceAll("\uFFFD");
    }

    /** {@code fhirUser} may be absolute (https://ehr/fhir/Practitioner/1): keep Type/id. */
    private static String relative(String reference) {
        String[] parts = reference.split("/");
        return parts.length >= 2 ? parts[parts.length - 2] + "/" + parts[parts.length - 1] : reference;
    }

    private static String target(RequestDetails request) {
        if (request.getResourceName() == null) {
            return null;
        }
        IIdType id = request.getId();
        return id != null && id.hasIdPart() ? request.getResourceName() + "/" + id.getIdPart() : null;
    }

    private Set<String> patients(RequestDetails request) {
        @SuppressWarnings("unchecked")
        Set<String> patients = (Set<String>) request.getUserData().computeIfAbsent(PATIENTS, k -> new LinkedHashSet<>());
        return patients;
    }

    /**
     * The patients whose compartments hold the resource (or, for a Bundle, its entries): for a
     * stored one, as written with it, so that answering with the stored text needs no parse.
     */
    private Set<String> patientsOf(IBaseResource resource) {
        Set<String> patients = new LinkedHashSet<>();
        if (resource instanceof Bundle bundle) {
            for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
                if (entry.getResource() != null && patients.size() < MAX_PATIENTS) {
                    patients.addAll(patientsOf(entry.getResource()));
                }
            }
            return patients;
        }
        codec.patientIds(resource).forEach(id -> patients.add("Patient/" + id));
        return patients;
    }

    private static String queryOf(Map<String, String[]> parameters) {
        StringBuilder query = new StringBuilder();
        parameters.forEach((name, values) -> {
            for (String value : values) {
                query.append(query.isEmpty() ? "" : "&").append(name).append('=').append(value);
            }
        });
        return query.toString();
    }

    private static Coding entityType(String code, String display) {
        return new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", code, display);
    }

    private static Coding role(String code, String display) {
        return new Coding("http://terminology.hl7.org/CodeSystem/object-role", code, display);
    }

    private static AuditEventAction action(RestOperationTypeEnum operation) {
        if (operation == null) {
            return AuditEventAction.E;
        }
        return switch (operation) {
            case CREATE -> AuditEventAction.C;
            case UPDATE, PATCH -> AuditEventAction.U;
            case DELETE -> AuditEventAction.D;
            case READ, VREAD, SEARCH_TYPE, SEARCH_SYSTEM, HISTORY_INSTANCE, HISTORY_TYPE, HISTORY_SYSTEM, GET_PAGE ->
                    AuditEventAction.R;
            default -> AuditEventAction.E;
        };
    }

    /** The restful-interaction code (http://hl7.org/fhir/restful-interaction). */
    private static String interaction(RestOperationTypeEnum operation) {
        if (operation == null) {
            return null;
        }
        return switch (operation) {
            case READ -> "read";
            case VREAD -> "vread";
            case UPDATE -> "update";
            case PATCH -> "patch";
            case DELETE -> "delete";
            case CREATE -> "create";
            case SEARCH_TYPE, GET_PAGE -> "search-type";
            case SEARCH_SYSTEM -> "search-system";
            case HISTORY_INSTANCE -> "history-instance";
            case HISTORY_TYPE -> "history-type";
            case HISTORY_SYSTEM -> "history-system";
            case TRANSACTION -> "transaction";
            case EXTENDED_OPERATION_INSTANCE, EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_SERVER -> "operation";
            default -> null;
        };
    }
}
