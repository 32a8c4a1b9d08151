package org.carepath.monitoring;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.context.FhirContext;
import org.carepath.validation.ConformanceResources;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped risk rules, evaluated with HAPI's FHIRPath engine on answers (no server, no database). */
class RiskRulesContentTest {

    static final FhirContext FHIR = FhirContext.forR4Cached();
    static final ConformanceResources CONTENT = new ConformanceResources(FHIR);
    static final RuleEngine ENGINE = new RuleEngine(FHIR);

    static Map<String, RiskRule> rules() {
        Map<String, RiskRule> rules = new HashMap<>();
        for (PlanDefinition plan : CONTENT.getDefinitions(PlanDefinition.class)) {
            if (RiskRules.isRule(plan)) {
                rules.put(plan.getIdElement().getIdPart(), RiskRule.from(plan));
            }
        }
        return rules;
    }

    static QuestionnaireResponse checkIn() {
        for (IBaseResource example : CONTENT.getExamples()) {
            if (example.getIdElement().getIdPart().equals("recovery-check-in-example")) {
                return ((QuestionnaireResponse) example).copy();
            }
        }
        throw new AssertionError();
    }

    static QuestionnaireResponse calm() {
        QuestionnaireResponse qr = checkIn();
        qr.setId("QuestionnaireResponse/calm");
        for (var item : qr.getItem()) {
            if (item.getAnswerFirstRep().getValue() instanceof BooleanType) {
                item.getAnswerFirstRep().setValue(new BooleanType(false));
            }
            if (item.getLinkId().equals("temperature")) {
                item.getAnswerFirstRep().setValue(new DecimalType("37.0"));
            }
        }
        return qr;
    }

    /** Which rules fire on a resource with these facts (parameters at their defaults). */
    static List<String> firing(IBaseResource resource, Map<String, List<IBase>> facts) {
        String type = resource.fhirType();
        List<Coding> codes = resource instanceof Observation o ? o.getCode().getCoding() : List.of();
        return rules().values().stream().filter(rule -> {
            Map<String, List<IBase>> variables = new HashMap<>(facts);
            rule.parameters().forEach((name, value) -> variables.put(name, RuleEngine.number(value)));
            for (String name : RuleVariables.NAMES) {
                variables.putIfAbsent(name, List.of());
            }
            return rule.triggersFor(type, codes).stream()
                    .anyMatch(t -> t.condition() == null || ENGINE.isTrue(t.condition(), resource, variables))
                    && rule.conditions().stream().allMatch(c -> ENGINE.isTrue(c, resource, variables));
        }).map(RiskRule::id).sorted().toList();
    }

    @Test
    void everyShippedRuleReadsAndParses() {
        Map<String, RiskRule> rules = rules();
        assertThat(rules).hasSize(10);
        for (RiskRule rule : rules.values()) {
            rule.conditions().forEach(ENGINE::parse);
            rule.triggers().stream().map(RiskRule.Trigger::condition).filter(c -> c != null).forEach(ENGINE::parse);
            assertThat(rule.sources()).as(rule.id()).isNotEmpty();
        }
        assertThat(rules.get("alert-suspected-dvt-pe").patientInstruction()).contains("Call emergency services now");
        assertThat(rules.get("alert-fever").patientInstruction()).isNull();
    }

    @Test
    void aFeverishCheckInFiresOnlyTheFeverRule() {
        assertThat(firing(checkIn(), Map.of())).containsExactly("alert-fever");
    }

    @Test
    void aHighTemperatureAloneIsAFever() {
        QuestionnaireResponse qr = calm();
        qr.getItem().stream().filter(i -> i.getLinkId().equals("temperature")).findFirst().orElseThrow()
                .getAnswerFirstRep().setValue(new DecimalType("38.4"));
        assertThat(firing(qr, Map.of())).containsExactly("alert-fever");
        qr.getItem().stream().filter(i -> i.getLinkId().equals("temperature")).findFirst().orElseThrow()
                .getAnswerFirstRep().setValue(new DecimalType("38.3"));
        assertThat(firing(qr, Map.of())).isEmpty();
    }

    @Test
    void calmAnswersFireNothing() {
        assertThat(firing(calm(), Map.of())).isEmpty();
    }

    @Test
    void eachWarningSignFiresItsRule() {
        Map<String, String> expected = Map.of(
                "wound-redness-swelling-drainage", "alert-wound-problem",
                "joint-warmth-swelling", "alert-wound-problem",
                "leg-numbness-weakness", "alert-neurological-change",
                "bowel-bladder-change", "alert-bowel-bladder-change",
                "calf-pain-swelling", "alert-suspected-dvt-pe",
                "chest-pain-breathless", "alert-suspected-dvt-pe",
                "pain-uncontrolled", "alert-uncontrolled-pain");
        expected.forEach((linkId, rule) -> {
            QuestionnaireResponse qr = calm();
            qr.getItem().stream().filter(i -> i.getLinkId().equals(linkId)).findFirst().orElseThrow()
                    .getAnswerFirstRep().setValue(new BooleanType(true));
            assertThat(firing(qr, Map.of())).as(linkId).containsExactly(rule);
        });
    }

    @Test
    void aCheckInOfAnotherQuestionnaireFiresNothing() {
        QuestionnaireResponse qr = checkIn();
        qr.setQuestionnaire("https://carepath.org/fhir/Questionnaire/recovery-check-in-2");
        assertThat(firing(qr, Map.of())).isEmpty();
        qr.setQuestionnaire("https://carepath.org/fhir/Questionnaire/recovery-check-in|0.1.0");
        assertThat(firing(qr, Map.of())).containsExactly("alert-fever");
        qr.setStatus(QuestionnaireResponse.QuestionnaireResponseStatus.INPROGRESS);
        assertThat(firing(qr, Map.of())).isEmpty();
    }

    static Observation observation(String loinc, Quantity value) {
        Observation o = new Observation();
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.setCode(new CodeableConcept().addCoding(new Coding("http://loinc.org", loinc, null)));
        o.setValue(value);
        return o;
    }

    static Map<String, List<IBase>> facts(long days, long months, Integer value, Integer baseline, Integer lowest) {
        Map<String, List<IBase>> facts = new HashMap<>();
        facts.put("daysSinceSurgery", RuleEngine.integer(days));
        facts.put("monthsSinceSurgery", RuleEngine.integer(months));
        facts.put("value", RuleEngine.number(value == null ? null : BigDecimal.valueOf(value)));
        facts.put("baseline", RuleEngine.number(baseline == null ? null : BigDecimal.valueOf(baseline)));
        facts.put("lowest", RuleEngine.number(lowest == null ? null : BigDecimal.valueOf(lowest)));
        return facts;
    }

    @Test
    void painNoBetterThanBaselineAtSixWeeksIsPoorRecovery() {
        Observation pain = observation("72514-3", new Quantity(7));
        assertThat(firing(pain, facts(42, 1, 7, 7, null))).containsExactly("alert-pain-not-improving");
        assertThat(firing(pain, facts(41, 1, 7, 7, null))).as("before 6 weeks").isEmpty();
        assertThat(firing(pain, facts(42, 1, 5, 7, null))).as("2 points better").isEmpty();
        assertThat(firing(pain, facts(42, 1, 7, null, null))).as("no baseline").isEmpty();
    }

    @Test
    void painNotHalvedAtSixMonthsAndPainComingBackArePoorRecovery() {
        Observation pain = observation("72514-3", new Quantity(5));
        assertThat(firing(pain, facts(183, 6, 5, 8, 5))).containsExactly("alert-pain-not-halved");
        assertThat(firing(pain, facts(183, 6, 4, 8, 4))).isEmpty();
        assertThat(firing(pain, facts(100, 3, 5, 8, 3))).containsExactly("alert-pain-rising-again");
    }

    @Test
    void odiNotFifteenPointsBetterAtSixMonthsIsPoorFunctionRecovery() {
        Observation odi = observation("97909-6", new Quantity(50));
        assertThat(firing(odi, facts(183, 6, 50, 62, null))).containsExactly("alert-poor-function-recovery");
        assertThat(firing(odi, facts(183, 6, 47, 62, null))).isEmpty();
        assertThat(firing(odi, facts(120, 4, 60, 62, null))).isEmpty();
    }

    @Test
    void aDeviceTemperatureOverTheThresholdIsAFever() {
        Observation temperature = observation("8310-5", new Quantity(null, 38.9, "http://unitsofmeasure.org", "Cel", "°C"));
        Map<String, List<IBase>> facts = facts(3, 0, null, null, null);
        facts.put("value", RuleEngine.number(new BigDecimal("38.9")));
        assertThat(firing(temperature, facts)).containsExactly("alert-fever");
        facts.put("value", RuleEngine.number(new BigDecimal("38.0")));
        assertThat(firing(temperature, facts)).isEmpty();
    }

    @Test
    void theOdiScoreIsCalculatedFromTheSectionsWithTheQuestionnairesExpression() {
        var odi = (org.hl7.fhir.r4.model.Questionnaire) CONTENT.findByCanonicalUrl(
                "https://carepath.org/fhir/Questionnaire/oswestry-disability-index").orElseThrow();
        var score = odi.getItem().stream().filter(i -> i.getLinkId().equals("odi-score")).findFirst().orElseThrow();
        String expression = ((org.hl7.fhir.r4.model.Expression) score.getExtensionByUrl(ObservationExtraction.CQF_EXPRESSION)
                .getValue()).getExpression();
        IBaseResource example = CONTENT.getExamples().stream()
                .filter(r -> r.getIdElement().getIdPart().equals("odi-example")).findFirst().orElseThrow();
        // 9 sections answered, 21 points: 21 / 45 x 100
        List<IBase> result = ENGINE.evaluate(expression, example, Map.of());
        assertThat(new BigDecimal(((org.hl7.fhir.r4.model.PrimitiveType<?>) result.get(0)).primitiveValue()))
                .isEqualByComparingTo("46.67");
    }
}
