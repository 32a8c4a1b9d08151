package org.carepath.monitoring;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DataRequirement;
import org.hl7.fhir.r4.model.Expression;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.PlanDefinition.PlanDefinitionActionComponent;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.RelatedArtifact;
import org.hl7.fhir.r4.model.Task;
import org.hl7.fhir.r4.model.TriggerDefinition;

/**
 * One risk rule as the engine reads it from a PlanDefinition of type eca-rule (conventions in
 * fhir-profiles/README.md, "Risk rules"): its first action names the alert kind and urgency
 * (codes of the pathway code system), the Task priority, the triggers, the FHIRPath conditions,
 * the care-team instruction (description), the concern (reason) and, for emergencies, a
 * patient-facing sub-action.
 */
record RiskRule(String id, String canonical, String title, Coding kind, Coding urgency, Task.TaskPriority priority,
                List<Trigger> triggers, List<String> conditions, Map<String, BigDecimal> parameters,
                String careTeamInstruction, String patientInstruction, List<CodeableConcept> concerns,
                List<String> sources) {

    static final String ECA_RULE = "eca-rule";
    static final String PLAN_TYPES = "http://terminology.hl7.org/CodeSystem/plan-definition-type";
    static final String PATHWAY_CODES = "https://carepath.org/fhir/CodeSystem/pathway";
    static final String PARAMETER_EXTENSION = "https://carepath.org/fhir/StructureDefinition/pathway-parameter";
    static final String FHIRPATH = "text/fhirpath";

    /**
     * When the rule looks at a written resource.
     *
     * @param resourceType QuestionnaireResponse or Observation
     * @param codes        an Observation must carry one of these codings (none: any code)
     * @param condition    a FHIRPath expression that must be true of the resource, or null
     */
    record Trigger(String resourceType, List<Coding> codes, String condition) {
    }

    /** Reads the rule; {@link IllegalArgumentException} says what a malformed rule lacks. */
    static RiskRule from(PlanDefinition plan) {
        String id = plan.getIdElement().getIdPart();
        if (plan.getAction().isEmpty()) {
            throw new IllegalArgumentException("PlanDefinition/" + id + " has no action");
        }
        PlanDefinitionActionComponent action = plan.getActionFirstRep();
        Coding kind = null;
        Coding urgency = null;
        for (CodeableConcept code : action.getCode()) {
            for (Coding coding : code.getCoding()) {
                if (!PATHWAY_CODES.equals(coding.getSystem())) {
                    continue;
                }
                if (RiskRules.URGENCIES.contains(coding.getCode())) {
                    urgency = coding;
                } else {
                    kind = coding;
                }
            }
        }
        if (kind == null || urgency == null) {
            throw new IllegalArgumentException("PlanDefinition/" + id
                    + ": action.code needs an alert kind and an alert urgency of " + PATHWAY_CODES);
        }
        if (!action.hasPriority()) {
            throw new IllegalArgumentException("PlanDefinition/" + id + ": action.priority is required");
        }
        List<Trigger> triggers = new ArrayList<>();
        for (TriggerDefinition trigger : action.getTrigger()) {
            String condition = trigger.hasCondition() ? fhirPath(id, trigger.getCondition()) : null;
            for (DataRequirement data : trigger.getData()) {
                List<Coding> codes = new ArrayList<>();
                data.getCodeFilter().forEach(filter -> codes.addAll(filter.getCode()));
                triggers.add(new Trigger(data.getType(), codes, condition));
            }
        }
        if (triggers.isEmpty()) {
            throw new IllegalArgumentException("PlanDefinition/" + id + ": no trigger with data");
        }
        List<String> conditions = new ArrayList<>();
        for (var condition : action.getCondition()) {
            if (condition.getKind() == PlanDefinition.ActionConditionKind.APPLICABILITY) {
                conditions.add(fhirPath(id, condition.getExpression()));
            }
        }
        if (conditions.isEmpty()) {
            throw new IllegalArgumentException("PlanDefinition/" + id + ": no applicability condition");
        }
        String patient = action.getAction().stream()
                .filter(sub -> sub.getParticipant().stream()
                        .anyMatch(p -> p.getType() == PlanDefinition.ActionParticipantType.PATIENT))
                .map(PlanDefinitionActionComponent::getDescription).findFirst().orElse(null);
        List<String> sources = plan.getRelatedArtifact().stream()
                .filter(r -> r.getType() == RelatedArtifact.RelatedArtifactType.CITATION)
                .map(RelatedArtifact::getDisplay).toList();
        return new RiskRule(id, plan.getUrl(), action.getTitle(), kind, urgency,
                Task.TaskPriority.fromCode(action.getPriority().toCode()), List.copyOf(triggers), List.copyOf(conditions),
                parameters(plan), action.getDescription(), patient, action.getReason(), sources);
    }

    private static String fhirPath(String id, Expression expression) {
        if (!FHIRPATH.equals(expression.getLanguage()) || !expression.hasExpression()) {
            throw new IllegalArgumentException("PlanDefinition/" + id + ": expressions must be " + FHIRPATH);
        }
        return expression.getExpression();
    }

    /** The declared parameters as numbers (a Quantity gives its value in its own unit). */
    static Map<String, BigDecimal> parameters(org.hl7.fhir.r4.model.DomainResource resource) {
        Map<String, BigDecimal> values = new LinkedHashMap<>();
        for (Extension parameter : resource.getExtensionsByUrl(PARAMETER_EXTENSION)) {
            Extension name = parameter.getExtensionByUrl("name");
            Extension value = parameter.getExtensionByUrl("value");
            if (name == null || value == null || value.getValue() == null) {
                continue;
            }
            BigDecimal number = value.getValue() instanceof Quantity q ? q.getValue()
                    : new BigDecimal(value.getValue().primitiveValue());
            values.put(name.getValue().primitiveValue(), number);
        }
        return values;
    }

    /** Does one of the rule's conditions use the variable {@code %name}? */
    boolean uses(String name) {
        Pattern variable = Pattern.compile("%" + name + "\\b");
        return conditions.stream().anyMatch(c -> variable.matcher(c).find());
    }

    /** Does a written resource of this type and these codes meet one of the triggers' data requirements? */
    List<Trigger> triggersFor(String resourceType, List<Coding> resourceCodes) {
        return triggers.stream()
                .filter(t -> t.resourceType().equals(resourceType))
                .filter(t -> t.codes().isEmpty() || t.codes().stream().anyMatch(c -> resourceCodes.stream()
                        .anyMatch(r -> c.getCode().equals(r.getCode()) && c.getSystem().equals(r.getSystem()))))
                .toList();
    }
}
