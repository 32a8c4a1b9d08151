package org.carepath.monitoring;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.ResourceWriteListener;
import org.carepath.interaction.TransactionCache;
import org.carepath.interaction.WriteResult;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Evaluates the risk rules when a QuestionnaireResponse or Observation of an enrolled patient is
 * written, inside the write's transaction: the alerts commit with the answers or not at all, so a
 * crash after the 2xx never loses one. Marked answers also become Observations, which the rules
 * then see as written Observations (pain and ODI trends against the baseline).
 */
@Component
@Order(100)
class RiskMonitor implements ResourceWriteListener {

    private static final Logger log = LoggerFactory.getLogger(RiskMonitor.class);
    private static final DateTimeFormatter INSTANT = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    private final RiskRules rules;
    private final Alerts alerts;
    private final ObservationExtraction extraction;
    private final Lookup lookup;
    private final ResourceInteractions interactions;

    RiskMonitor(RiskRules rules, Alerts alerts, ObservationExtraction extraction, Lookup lookup,
                ResourceInteractions interactions) {
        this.rules = rules;
        this.alerts = alerts;
        this.extraction = extraction;
        this.lookup = lookup;
        this.interactions = interactions;
    }

    @Override
    public void afterWrite(WriteResult result, IBaseResource previous) {
        if (result.outcome() != WriteResult.Outcome.CREATED && result.outcome() != WriteResult.Outcome.UPDATED) {
            return;
        }
        if (result.resource() instanceof PlanDefinition plan && RiskRules.isRule(plan)
                && plan.getStatus() == Enumerations.PublicationStatus.ACTIVE) {
            rules.check(plan);
        } else if (result.resource() instanceof QuestionnaireResponse response) {
            evaluate(response, patientOf(response.getSubject()), List.of());
            extraction.extract(response);
        } else if (result.resource() instanceof Observation observation) {
            evaluate(observation, patientOf(observation.getSubject()), observation.getCode().getCoding());
        }
    }

    /** Key of a patient's enrolment, looked up once per transaction (a Bundle's check-ins share it). */
    private record EnrolmentOf(String patientId) {
    }

    private static String patientOf(Reference subject) {
        String reference = subject.getReference();
        if (reference == null || !reference.startsWith("Patient/") || reference.indexOf('/', "Patient/".length()) >= 0) {
            return null;
        }
        return reference.substring("Patient/".length());
    }

    private void evaluate(Resource written, String patientId, List<Coding> codes) {
        if (patientId == null) {
            return;
        }
        List<RiskRule> candidates = rules.active().stream()
                .filter(rule -> !rule.triggersFor(written.fhirType(), codes).isEmpty()).toList();
        if (candidates.isEmpty()) {
            return;
        }
        Optional<Enrolment> enrolment = TransactionCache.get(new EnrolmentOf(patientId), Enrolment.MADE_OF,
                () -> Enrolment.of(patientId, lookup, interactions));
        if (enrolment.isEmpty()) {
            return; // not on the pathway: nothing to compare with, nobody to tell
        }
        Map<String, Trend> trends = new HashMap<>();
        for (RiskRule rule : candidates) {
            List<Resource> evidence = new ArrayList<>();
            evidence.add(written);
            Map<String, List<IBase>> variables = facts(rule, written, codes, enrolment.get(), evidence, trends);
            if (fires(rule, written, codes, variables)) {
                alerts.raise(rule, enrolment.get(), evidence);
            }
        }
    }

    private boolean fires(RiskRule rule, Resource written, List<Coding> codes, Map<String, List<IBase>> variables) {
        RuleEngine engine = rules.engine();
        try {
            boolean triggered = rule.triggersFor(written.fhirType(), codes).stream()
                    .anyMatch(t -> t.condition() == null || engine.isTrue(t.condition(), written, variables));
            return triggered && rule.conditions().stream().allMatch(c -> engine.isTrue(c, written, variables));
        } catch (RuntimeException e) {
            // A rule that cannot be evaluated on this content must not refuse the patient's answers.
            log.warn("Risk rule {} could not be evaluated on {}/{}: {}", rule.id(), written.fhirType(),
                    written.getIdElement().getIdPart(), e.getMessage());
            return false;
        }
    }

    /** The baseline and the lowest score since surgery of one code, found once per written Observation. */
    private record Trend(Optional<Observation> baseline, Optional<Observation> lowest) {
    }

    /**
     * The variables of {@link RuleVariables} and the rule's parameters (the CarePlan's values
     * for this patient win over the rule's defaults); adds the stored resources used to evidence.
     */
    private Map<String, List<IBase>> facts(RiskRule rule, Resource written, List<Coding> codes, Enrolment enrolment,
                                           List<Resource> evidence, Map<String, Trend> trends) {
        Map<String, List<IBase>> variables = new HashMap<>();
        rule.parameters().forEach((name, value) ->
                variables.put(name, RuleEngine.number(enrolment.values().getOrDefault(name, value))));
        ZonedDateTime surgery = enrolment.surgeryStart();
        Instant at = Evidence.time(written);
        LocalDate surgeryDay = surgery.toLocalDate();
        LocalDate day = at.atZone(surgery.getZone()).toLocalDate();
        variables.put(RuleVariables.DAYS_SINCE_SURGERY, RuleEngine.integer(ChronoUnit.DAYS.between(surgeryDay, day)));
        variables.put(RuleVariables.MONTHS_SINCE_SURGERY, RuleEngine.integer(ChronoUnit.MONTHS.between(surgeryDay, day)));
        variables.put(RuleVariables.VALUE, List.of());
        variables.put(RuleVariables.BASELINE, List.of());
        variables.put(RuleVariables.LOWEST, List.of());
        if (!(written instanceof Observation observation)) {
            return variables;
        }
        variables.put(RuleVariables.VALUE, RuleEngine.number(Evidence.number(observation)));
        for (Reference source : observation.getDerivedFrom()) {
            if (source.getReference() != null && source.getReference().startsWith("QuestionnaireResponse/")) {
                try {
                    evidence.add((Resource) interactions.read("QuestionnaireResponse",
                            source.getReference().substring("QuestionnaireResponse/".length())));
                } catch (RuntimeException e) {
                    // a response since deleted is no longer evidence
                }
            }
        }
        Optional<Coding> code = rule.triggersFor("Observation", codes).stream().flatMap(t -> t.codes().stream()).findFirst();
        if (code.isEmpty()) {
            return variables;
        }
        Trend trend = trends.computeIfAbsent(code.get().getSystem() + "|" + code.get().getCode(),
                token -> trend(token, enrolment, surgery, at, written));
        trend.baseline().ifPresent(baseline -> {
            variables.put(RuleVariables.BASELINE, RuleEngine.number(Evidence.number(baseline)));
            if (rule.uses(RuleVariables.BASELINE)) {
                evidence.add(baseline);
            }
        });
        trend.lowest().ifPresent(lowest -> {
            variables.put(RuleVariables.LOWEST, RuleEngine.number(Evidence.number(lowest)));
            if (rule.uses(RuleVariables.LOWEST)) {
                evidence.add(lowest);
            }
        });
        return variables;
    }

    private Trend trend(String token, Enrolment enrolment, ZonedDateTime surgery, Instant at, Resource written) {
        String criteria = "code=" + Lookup.encode(token) + "&subject=" + Lookup.encode(enrolment.patientReference());
        String surgeryAt = INSTANT.format(surgery);
        Optional<Observation> baseline = lookup.find(Observation.class,
                        criteria + "&date=" + Lookup.encode("lt" + surgeryAt) + "&_sort=-date", 20).stream()
                .filter(Evidence::isFinal).filter(o -> Evidence.number(o) != null).findFirst();
        String before = INSTANT.format(at.atZone(surgery.getZone()));
        Optional<Observation> lowest = lookup.find(Observation.class, criteria + "&date=" + Lookup.encode("ge" + surgeryAt)
                        + "&date=" + Lookup.encode("lt" + before), 1000).stream()
                .filter(Evidence::isFinal)
                .filter(o -> !o.getIdElement().getIdPart().equals(written.getIdElement().getIdPart()))
                .filter(o -> Evidence.number(o) != null)
                .min(Comparator.comparing(Evidence::number));
        return new Trend(baseline, lowest);
    }
}
