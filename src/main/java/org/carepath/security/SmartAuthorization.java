package org.carepath.security;

import java.util.List;
import java.util.Set;

import ca.uhn.fhir.interceptor.auth.CompartmentSearchParameterModifications;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationFlagsEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.IRuleApplier;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOp;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOpClassifier;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import org.carepath.search.SearchParameters;
import org.carepath.security.SmartScopes.Context;
import org.carepath.security.SmartScopes.Grant;
import org.carepath.security.SmartScopes.Permission;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PlanDefinition;

/**
 * HAPI's rule engine, with the rules of each request built from its token's SMART scopes:
 * system and user scopes open the types they name; patient scopes open the named types within the
 * patient's compartment, plus shared content that belongs to no patient. Everything else is denied.
 */
class SmartAuthorization extends AuthorizationInterceptor {

    /**
     * Types outside the Patient compartment that hold no patient's data (definitions, directories,
     * terminology): a patient scope that names them, or {@code *}, reads them whole. Other types
     * outside the compartment (Subscription, Bundle, Binary, ...) may carry anyone's data and stay
     * closed to patient scopes.
     */
    static final Set<String> SHARED = Set.of("Questionnaire", "PlanDefinition", "ActivityDefinition", "Library",
            "StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap", "SearchParameter", "OperationDefinition",
            "CapabilityStatement", "ImplementationGuide", "NamingSystem", "Medication", "MedicationKnowledge",
            "Substance", "Organization", "Location", "Practitioner", "PractitionerRole", "HealthcareService",
            "Endpoint");

    private static final String AUDIT = "AuditEvent";

    private final SearchParameters parameters;
    /** R4's Patient compartment and what CarePath adds to it (the patient's Tasks), for HAPI's rules. */
    private final CompartmentSearchParameterModifications additions;

    SmartAuthorization(SearchParameters parameters) {
        super(PolicyEnum.DENY);
        this.parameters = parameters;
        this.additions = parameters.compartmentModifications("Patient");
        // Compartment reads are decided on what is returned: a plain server cannot tell from an
        // id alone whose an instance's history is. ScopeGuard checks types and stored targets first.
        setFlags(AuthorizationFlagsEnum.DO_NOT_PROACTIVELY_BLOCK_COMPARTMENT_READ_ACCESS);
    }

    /**
     * Whether the token can reach resources of the type at all: patient scopes reach the
     * compartment's types and shared content only.
     */
    boolean reachable(SmartScopes token, String type) {
        return !compartmentOnly(token, type) || SHARED.contains(type) || inPatientCompartment(type);
    }

    /** Whether resources of the type can belong to a patient's compartment. */
    boolean inPatientCompartment(String type) {
        return type.equals("Patient") || !parameters.compartmentParams("Patient", type).isEmpty();
    }

    @Override
    public List<IAuthRule> buildRuleList(RequestDetails request) {
        SmartScopes token = RequestTokens.of(request);
        RuleBuilder rules = new RuleBuilder();
        rules.allow("capabilities").metadata();
        for (Grant grant : token.grants()) {
            if (!token.usable(grant)) {
                continue;
            }
            if (readable(grant)) {
                read(rules, token, grant, grant.type());
            }
            if (grant.allows(Permission.UPDATE)) {
                write(rules.allow(grant + " update").write(), token, grant);
            }
            if (grant.allows(Permission.CREATE)) {
                write(rules.allow(grant + " create").create(), token, grant);
            }
            if (grant.allows(Permission.DELETE)) {
                write(rules.allow(grant + " delete").delete(), token, grant);
            }
        }
        if (!token.grants().isEmpty()) {
            // Each entry meets the rules above, as if it came alone.
            rules.allow("batch and transaction entries").transaction().withAnyOperation().andApplyNormalRules();
            // ScopeGuard checks what each operation needs; the rules above check what it returns.
            rules.allow("$validate").operation().named("$validate").onAnyType().andAllowAllResponses();
            rules.allow("$validate").operation().named("$validate").onAnyInstance().andAllowAllResponses();
            rules.allow("$apply").operation().named("$apply").onType(PlanDefinition.class)
                    .andRequireExplicitResponseAuthorization();
            rules.allow("$apply").operation().named("$apply").onInstancesOfType(PlanDefinition.class)
                    .andRequireExplicitResponseAuthorization();
            rules.allow("$everything").operation().named("$everything").onInstancesOfType(Patient.class)
                    .andRequireExplicitResponseAuthorization();
            rules.allow("$everything").operation().named("$everything").onType(Patient.class)
                    .andRequireExplicitResponseAuthorization();
        }
        List<IAuthRule> built = new java.util.ArrayList<>();
        built.add(new AuditTrailRule(token));
        built.add(new NestedSearchResults());
        built.addAll(rules.build());
        return built;
    }

    /**
     * The searchset Bundles that answer a batch's GET entries: their entries are checked one by
     * one (HAPI examines every resource of a response), the Bundle that holds them is no data.
     */
    private record NestedSearchResults() implements IAuthRule {

        @Override
        public Verdict applyRule(RestOperationTypeEnum operation, RequestDetails request, IBaseResource input,
                                 IIdType inputId, IBaseResource output, IRuleApplier applier,
                                 Set<AuthorizationFlagsEnum> flags, Pointcut pointcut) {
            return operation == RestOperationTypeEnum.TRANSACTION
                    && output instanceof org.hl7.fhir.r4.model.Bundle bundle
                    && bundle.getType() == org.hl7.fhir.r4.model.Bundle.BundleType.SEARCHSET
                    ? new Verdict(PolicyEnum.ALLOW, this) : null;
        }

        @Override
        public String getName() {
            return "search results inside a batch response";
        }
    }

    /**
     * The audit trail is the server's own record: only scopes that name AuditEvent read it (a
     * wildcard does not), wherever it would appear (search, history, includes, Bundles). Writes
     * are refused by {@link ScopeGuard}.
     */
    private record AuditTrailRule(SmartScopes token) implements IAuthRule {

        @Override
        public Verdict applyRule(RestOperationTypeEnum operation, RequestDetails request, IBaseResource input,
                                 IIdType inputId, IBaseResource output, IRuleApplier applier,
                                 Set<AuthorizationFlagsEnum> flags, Pointcut pointcut) {
            boolean audit = output != null && AUDIT.equals(request.getFhirContext().getResourceType(output));
            return audit && !token.allows(AUDIT, Permission.READ) && !token.allows(AUDIT, Permission.SEARCH)
                    ? new Verdict(PolicyEnum.DENY, this) : null;
        }

        @Override
        public String getName() {
            return "AuditEvent needs a scope that names it";
        }
    }

    private static boolean readable(Grant grant) {
        return grant.allows(Permission.READ) || grant.allows(Permission.SEARCH);
    }

    private void read(RuleBuilder rules, SmartScopes token, Grant grant, String type) {
        String name = grant + " read";
        if (grant.context() != Context.PATIENT) {
            of(rules.allow(name).read(), type).withAnyId();
            return;
        }
        IdType patient = new IdType("Patient", token.patientId());
        if (type.equals("*")) {
            rules.allow(name).read().allResources().inModifiedCompartment("Patient", patient, additions);
            SHARED.forEach(shared -> rules.allow(name).read().resourcesOfType(shared).withAnyId());
        } else if (SHARED.contains(type)) {
            rules.allow(name).read().resourcesOfType(type).withAnyId();
        } else if (inPatientCompartment(type)) {
            rules.allow(name).read().resourcesOfType(type).inModifiedCompartment("Patient", patient, additions);
        }
    }

    /** Patient scopes write only inside the patient's compartment, never shared content. */
    private void write(IAuthRuleBuilderRuleOp op, SmartScopes token, Grant grant) {
        if (grant.context() != Context.PATIENT) {
            of(op, grant.type()).withAnyId();
        } else if (grant.type().equals("*") || inPatientCompartment(grant.type())) {
            of(op, grant.type()).inModifiedCompartment("Patient", new IdType("Patient", token.patientId()), additions);
        } else {
            of(op, grant.type()).inCompartment("Patient", new IdType("Patient", "-")); // matches nothing
        }
    }

    private static IAuthRuleBuilderRuleOpClassifier of(IAuthRuleBuilderRuleOp op, String type) {
        return type.equals("*") ? op.allResources() : op.resourcesOfType(type);
    }

    /**
     * A patient token asking for a resource outside its compartment learns no more than for an id
     * that does not exist: 404 for reads, whatever the reason. Refusals of scope stay 403.
     */
    @Override
    protected void handleDeny(RequestDetails request, Verdict decision) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        String type = request.getResourceName();
        SmartScopes token = RequestTokens.of(request);
        if (type != null && request.getId() != null && compartmentOnly(token, type)
                && (operation == RestOperationTypeEnum.READ || operation == RestOperationTypeEnum.VREAD
                || operation == RestOperationTypeEnum.HISTORY_INSTANCE)
                && token.allows(type, Permission.READ)) {
            throw new ResourceNotFoundException(new IdType(type, request.getId().getIdPart()));
        }
        throw new ForbiddenOperationException("Access denied: the access token's scopes do not reach this resource"
                + (compartmentOnly(token, type == null ? "*" : type) && token.patientId() != null
                ? " (patient scopes open Patient/" + token.patientId() + "'s compartment only)" : ""));
    }

    /** Whether the token sees the type only through patient scopes, i.e. one compartment of it. */
    static boolean compartmentOnly(SmartScopes token, String type) {
        return token.grants().stream().filter(g -> token.usable(g) && g.covers(type))
                .allMatch(g -> g.context() == Context.PATIENT);
    }
}
