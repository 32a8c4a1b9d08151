package org.carepath.monitoring;

import java.time.Instant;
import java.util.Date;
import java.util.List;

import ca.uhn.fhir.context.FhirContext;
import io.micrometer.core.instrument.MeterRegistry;
import org.carepath.interaction.ResourceInteractions;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Communication;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.RiskAssessment;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Raises the alert of a firing rule, in the transaction of the write that made it fire: a Flag on
 * the patient, a RiskAssessment whose basis cites the evidence, a care-team Task and, for an
 * emergency, a Communication with the patient-facing instruction. Once per evidence: the same
 * answers again, or evidence while the rule's Flag is still open, raise nothing new; a resolved
 * Flag is not raised again by the evidence that raised it.
 */
@Component
class Alerts {

    private static final Logger log = LoggerFactory.getLogger(Alerts.class);
    static final String FLAG_PROFILE = "https://carepath.org/fhir/StructureDefinition/recovery-alert-flag";
    static final String RISK_PROFILE = "https://carepath.org/fhir/StructureDefinition/recovery-risk-assessment";
    static final String URGENCY_EXTENSION = "https://carepath.org/fhir/StructureDefinition/alert-urgency";
    static final String FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail";
    /** Identifies the evidence an alert was raised from (rule id and content fingerprint). */
    static final String EVIDENCE_IDENTIFIER = "https://carepath.org/fhir/alert-evidence";
    /** Identifies the rule that raised an alert (the rule's PlanDefinition id). */
    static final String RULE_IDENTIFIER = "https://carepath.org/fhir/alert-rule";

    private final ResourceInteractions interactions;
    private final Lookup lookup;
    private final FhirContext fhir;
    private final MeterRegistry meters;

    Alerts(ResourceInteractions interactions, Lookup lookup, FhirContext fhir, MeterRegistry meters) {
        this.interactions = interactions;
        this.lookup = lookup;
        this.fhir = fhir;
        this.meters = meters;
    }

    /**
     * @param evidence the written resource first, then the stored resources the facts came from
     * @return true when a new alert was raised
     */
    boolean raise(RiskRule rule, Enrolment enrolment, List<Resource> evidence) {
        String patient = enrolment.patientReference();
        String fingerprint = Evidence.fingerprint(fhir, rule.id(), patient, evidence.get(0));
        // Two writes for the same patient and rule take turns, so neither misses the other's Flag.
        interactions.lock("alert:" + patient + ":" + rule.id());
        if (!lookup.find(Flag.class, "identifier=" + Lookup.encode(EVIDENCE_IDENTIFIER + "|" + fingerprint), 1).isEmpty()) {
            return false; // this evidence raised it before (the Flag may since be resolved)
        }
        // (R4 has no Flag status search parameter: the rule's Flags are few, their status is read here)
        if (lookup.find(Flag.class, "patient=" + Lookup.encode(patient) + "&identifier="
                + Lookup.encode(RULE_IDENTIFIER + "|" + rule.id()), 1000).stream()
                .anyMatch(f -> f.getStatus() == Flag.FlagStatus.ACTIVE)) {
            log.info("{} fired again for {} while its alert is open: no new alert", rule.id(), patient);
            return false;
        }
        Instant now = Instant.now();
        DateTimeType at = new DateTimeType(Date.from(now), ca.uhn.fhir.model.api.TemporalPrecisionEnum.SECOND,
                java.util.TimeZone.getTimeZone(enrolment.surgeryStart().getZone()));
        String summary = rule.title() + ": " + Evidence.describe(evidence.get(0), rule);
        String flagId = interactions.newId();
        String riskId = interactions.newId();
        String taskId = interactions.newId();

        RiskAssessment risk = new RiskAssessment();
        risk.setId(riskId);
        risk.getMeta().addProfile(RISK_PROFILE);
        risk.addExtension(URGENCY_EXTENSION, rule.urgency().copy());
        risk.addIdentifier().setSystem(EVIDENCE_IDENTIFIER).setValue(fingerprint);
        risk.setStatus(RiskAssessment.RiskAssessmentStatus.FINAL);
        risk.setCode(new CodeableConcept().addCoding(rule.kind().copy()).setText(rule.title()));
        risk.setSubject(new Reference(patient));
        risk.setOccurrence(at.copy());
        risk.setBasedOn(new Reference("CarePlan/" + enrolment.plan().getIdElement().getIdPart()));
        for (Resource used : evidence) {
            risk.addBasis(Evidence.reference(used, rule));
        }
        for (CodeableConcept concern : rule.concerns()) {
            risk.addPrediction().setOutcome(concern.copy());
        }
        risk.addNote().setText(summary + ". Raised by the rule " + rule.canonical() + " (" + rule.title()
                + "). Sources: " + String.join("; ", rule.sources()) + ".");

        Flag flag = new Flag();
        flag.setId(flagId);
        flag.getMeta().addProfile(FLAG_PROFILE);
        flag.addExtension(URGENCY_EXTENSION, rule.urgency().copy());
        flag.addExtension(FLAG_DETAIL, new Reference("RiskAssessment/" + riskId));
        flag.addIdentifier().setSystem(EVIDENCE_IDENTIFIER).setValue(fingerprint);
        flag.addIdentifier().setSystem(RULE_IDENTIFIER).setValue(rule.id());
        flag.setStatus(Flag.FlagStatus.ACTIVE);
        flag.addCategory(new CodeableConcept().addCoding(new Coding(
                "http://terminology.hl7.org/CodeSystem/flag-category", "clinical", "Clinical")));
        CodeableConcept code = new CodeableConcept().addCoding(rule.kind().copy());
        rule.concerns().forEach(c -> c.getCoding().forEach(coding -> code.addCoding(coding.copy())));
        code.setText(summary);
        flag.setCode(code);
        flag.setSubject(new Reference(patient));
        flag.setPeriod(new Period().setStartElement(at.copy()));

        Task task = new Task();
        task.setId(taskId);
        task.addIdentifier().setSystem(EVIDENCE_IDENTIFIER).setValue(fingerprint);
        task.setInstantiatesCanonical(rule.canonical());
        task.addBasedOn(new Reference("CarePlan/" + enrolment.plan().getIdElement().getIdPart()));
        task.setStatus(Task.TaskStatus.REQUESTED);
        task.setIntent(Task.TaskIntent.ORDER);
        task.setPriority(rule.priority());
        task.setCode(new CodeableConcept().addCoding(rule.kind().copy()).setText(rule.title()));
        task.setDescription(rule.careTeamInstruction());
        task.setFocus(new Reference("Flag/" + flagId).setDisplay(summary));
        task.setFor(new Reference(patient));
        task.setAuthoredOnElement(at.copy());
        if (enrolment.owner() != null) {
            task.setOwner(enrolment.owner().copy());
        }
        task.setReasonReference(new Reference("RiskAssessment/" + riskId));
        for (Resource used : evidence) {
            task.addInput().setType(new CodeableConcept().setText("evidence")).setValue(Evidence.reference(used, rule));
        }
        if (rule.patientInstruction() != null) {
            task.addInput().setType(new CodeableConcept().setText("patient-instruction"))
                    .setValue(new StringType(rule.patientInstruction()));
        }

        interactions.updateAuthored("RiskAssessment", riskId, risk);
        interactions.updateAuthored("Flag", flagId, flag);
        interactions.updateAuthored("Task", taskId, task);
        if (rule.patientInstruction() != null) {
            String messageId = interactions.newId();
            Communication message = patientInstruction(rule, patient, flagId, enrolment, at);
            message.setId(messageId);
            interactions.updateAuthored("Communication", messageId, message);
        }
        log.info("{} raised Flag/{} for {} ({})", rule.id(), flagId, patient, rule.urgency().getCode());
        // counted before commit: a rolled-back write may count an alert that was not kept (rare, and only ever over)
        meters.counter("carepath.alerts.raised", "rule", rule.id(), "urgency", rule.urgency().getCode()).increment();
        return true;
    }

    /** The emergency instruction, told to the patient at once (their app reads their Communications). */
    private static Communication patientInstruction(RiskRule rule, String patient, String flagId, Enrolment enrolment,
                                                    DateTimeType at) {
        Communication message = new Communication();
        message.setStatus(Communication.CommunicationStatus.COMPLETED);
        message.addCategory(new CodeableConcept().addCoding(new Coding(
                "http://terminology.hl7.org/CodeSystem/communication-category", "alert", "Alert")));
        message.setPriority(Communication.CommunicationPriority.STAT);
        message.setSubject(new Reference(patient));
        message.addRecipient(new Reference(patient));
        message.addAbout(new Reference("Flag/" + flagId));
        message.addBasedOn(new Reference("CarePlan/" + enrolment.plan().getIdElement().getIdPart()));
        message.setSentElement(at.copy());
        message.addPayload().setContent(new StringType(rule.patientInstruction()));
        return message;
    }
}
