package org.carepath.monitoring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.carepath.interaction.ResourceInteractions;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Expression;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Questionnaire;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Type;
import org.springframework.stereotype.Component;

/**
 * Records the answers of Questionnaire items marked with the observation-extract extension as
 * Observations (the SDC observationExtract idea, fhir-profiles/README.md): code = the item's code,
 * value = the answer (or, for a calculated item left empty, its cqf-expression evaluated with
 * FHIRPath), effective = authored, derivedFrom = the response. One Observation per response and
 * item, updated when the response is, so trends (pain, temperature, ODI) are searchable.
 */
@Component
class ObservationExtraction {

    static final String MARK = "https://carepath.org/fhir/StructureDefinition/observation-extract";
    static final String CQF_EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression";
    static final String QUESTIONNAIRE_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";
    /** Identifies the Observation made from one item of one response. */
    static final String ANSWER_IDENTIFIER = "https://carepath.org/fhir/questionnaire-answer";

    private final ProfileValidator profiles;
    private final ResourceInteractions interactions;
    private final Lookup lookup;
    private final RuleEngine engine;

    ObservationExtraction(ProfileValidator profiles, ResourceInteractions interactions, Lookup lookup, RiskRules rules) {
        this.profiles = profiles;
        this.interactions = interactions;
        this.lookup = lookup;
        this.engine = rules.engine();
    }

    /** Writes the response's Observations (each write is evaluated by the rules in turn). */
    void extract(QuestionnaireResponse response) {
        if (!response.hasQuestionnaire() || !response.getSubject().hasReference()
                || (response.getStatus() != QuestionnaireResponse.QuestionnaireResponseStatus.COMPLETED
                && response.getStatus() != QuestionnaireResponse.QuestionnaireResponseStatus.AMENDED)) {
            return;
        }
        Optional<Questionnaire> questionnaire = questionnaire(response.getQuestionnaire());
        if (questionnaire.isEmpty()) {
            return;
        }
        Map<String, QuestionnaireResponse.QuestionnaireResponseItemComponent> answers = new HashMap<>();
        collect(response.getItem(), answers);
        List<Questionnaire.QuestionnaireItemComponent> marked = new ArrayList<>();
        marked(questionnaire.get().getItem(), marked);
        String responseId = response.getIdElement().getIdPart();
        for (Questionnaire.QuestionnaireItemComponent item : marked) {
            Type value = value(item, answers.get(item.getLinkId()), response);
            if (value == null) {
                continue;
            }
            Observation observation = new Observation();
            String key = "QuestionnaireResponse/" + responseId + "#" + item.getLinkId();
            observation.addIdentifier().setSystem(ANSWER_IDENTIFIER).setValue(key);
            observation.setStatus(Observation.ObservationStatus.FINAL);
            observation.addCategory(new CodeableConcept().addCoding(new Coding(
                    "http://terminology.hl7.org/CodeSystem/observation-category", "survey", "Survey")));
            CodeableConcept code = new CodeableConcept();
            item.getCode().forEach(c -> code.addCoding(c.copy()));
            code.setText(item.getText());
            observation.setCode(code);
            observation.setSubject(new Reference(response.getSubject().getReference()));
            if (response.hasAuthored()) {
                observation.setEffective(response.getAuthoredElement().copy());
            }
            if (response.getSource().hasReference()) {
                observation.addPerformer(new Reference(response.getSource().getReference()));
            }
            for (Reference basedOn : response.getBasedOn()) {
                if (basedOn.getReference() != null && basedOn.getReference().startsWith("CarePlan/")) {
                    observation.addBasedOn(new Reference(basedOn.getReference()));
                }
            }
            observation.addDerivedFrom(new Reference("QuestionnaireResponse/" + responseId));
            observation.setValue(value);
            interactions.conditionalUpdate("Observation",
                    "identifier=" + Lookup.encode(ANSWER_IDENTIFIER + "|" + key), observation, null);
        }
    }

    private Optional<Questionnaire> questionnaire(String canonical) {
        Optional<IBaseResource> shipped = profiles.content().findByCanonicalUrl(canonical);
        if (shipped.isPresent() && shipped.get() instanceof Questionnaire q) {
            return Optional.of(q);
        }
        int bar = canonical.indexOf('|');
        String url = bar < 0 ? canonical : canonical.substring(0, bar);
        return lookup.find(Questionnaire.class, "url=" + Lookup.encode(url), 1).stream().findFirst();
    }

    private static void collect(List<QuestionnaireResponse.QuestionnaireResponseItemComponent> items,
                                Map<String, QuestionnaireResponse.QuestionnaireResponseItemComponent> into) {
        for (var item : items) {
            into.putIfAbsent(item.getLinkId(), item);
            collect(item.getItem(), into);
            item.getAnswer().forEach(a -> collect(a.getItem(), into));
        }
    }

    private static void marked(List<Questionnaire.QuestionnaireItemComponent> items,
                               List<Questionnaire.QuestionnaireItemComponent> into) {
        for (var item : items) {
            Extension mark = item.getExtensionByUrl(MARK);
            if (mark != null && "true".equals(mark.getValue().primitiveValue()) && item.hasCode()) {
                into.add(item);
            }
            marked(item.getItem(), into);
        }
    }

    /** The Observation value of an answer: integer as is, decimal as a Quantity in the item's unit. */
    private Type value(Questionnaire.QuestionnaireItemComponent item,
                       QuestionnaireResponse.QuestionnaireResponseItemComponent answered, QuestionnaireResponse response) {
        Type answer = answered != null && answered.hasAnswer() ? answered.getAnswerFirstRep().getValue() : null;
        if (answer == null) {
            answer = calculated(item, response);
        }
        if (answer instanceof IntegerType integer) {
            return integer.copy();
        }
        if (answer instanceof DecimalType decimal) {
            Quantity quantity = new Quantity().setValue(decimal.getValue());
            Extension unit = item.getExtensionByUrl(QUESTIONNAIRE_UNIT);
            if (unit != null && unit.getValue() instanceof Coding coding) {
                quantity.setSystem(coding.getSystem()).setCode(coding.getCode()).setUnit(coding.hasDisplay() ? coding.getDisplay() : coding.getCode());
            }
            return quantity;
        }
        if (answer instanceof Quantity quantity) {
            return quantity.copy();
        }
        return null; // other answer types (booleans, codings) stay in the response
    }

    private DecimalType calculated(Questionnaire.QuestionnaireItemComponent item, QuestionnaireResponse response) {
        Extension extension = item.getExtensionByUrl(CQF_EXPRESSION);
        if (extension == null || !(extension.getValue() instanceof Expression expression)
                || !RiskRule.FHIRPATH.equals(expression.getLanguage())) {
            return null;
        }
        List<IBase> result;
        try {
            result = engine.evaluate(expression.getExpression(), response, Map.of());
        } catch (RuntimeException e) {
            return null; // not computable from these answers (e.g. none answered)
        }
        if (result.size() != 1 || !(result.get(0) instanceof org.hl7.fhir.r4.model.PrimitiveType<?> number)) {
            return null;
        }
        try {
            return new DecimalType(new java.math.BigDecimal(number.primitiveValue()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
