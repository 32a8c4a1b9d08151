package org.carepath.pathway;

import java.util.List;
import java.util.Optional;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Type;

/**
 * An SI joint fusion as the EHR records it: a Procedure (scheduled with status preparation, then
 * performed) or the ServiceRequest that orders it. Recognised by its code, not by meta.profile.
 *
 * @param reference   {@code Procedure/[id]} or {@code ServiceRequest/[id]}
 * @param subject     the subject reference as written
 * @param stage       where the surgery stands
 * @param date        the planned (or performed) start as FHIR text, when known
 * @param identifiers the record's business identifiers
 * @param fulfils     the orders (ServiceRequests) a Procedure is based on: the same surgery
 * @param reasons     Condition references the surgery treats
 * @param reasonCodes coded reasons, for a plan with no Condition to point at
 */
public record Surgery(String reference, String subject, Stage stage, Optional<String> date, List<Identifier> identifiers,
                      List<String> fulfils, List<String> reasons, List<CodeableConcept> reasonCodes, String display) {

    static final String CPT = "http://www.ama-assn.org/go/cpt";
    /** ICD-10-PCS as the pathway's ValueSet names it, and the HL7 terminology URI. */
    static final List<String> ICD10_PCS = List.of("http://www.cms.gov/Medicare/Coding/ICD10",
            "http://hl7.org/fhir/sid/icd-10-pcs");

    public enum Stage {
        /** Planned and going ahead: a plan is made for it. */
        SCHEDULED,
        /** Done: the day-of-surgery step is done and recovery runs from its date. */
        PERFORMED,
        /** Will not happen (not-done, revoked, entered-in-error): its plan is revoked. */
        CANCELLED,
        /** Anything else (draft, on hold, in progress, stopped, unknown): the plan stays as it is. */
        OTHER
    }

    /** The surgery a resource records, if it is an SI joint fusion Procedure or ServiceRequest. */
    public static Optional<Surgery> of(IBaseResource resource) {
        if (resource instanceof Procedure p && isSiJointFusion(p.getCode())) {
            Stage stage = switch (p.getStatus() == null ? Procedure.ProcedureStatus.UNKNOWN : p.getStatus()) {
                case PREPARATION -> Stage.SCHEDULED;
                case COMPLETED -> Stage.PERFORMED;
                case NOTDONE, ENTEREDINERROR -> Stage.CANCELLED;
                default -> Stage.OTHER;
            };
            return Optional.of(new Surgery("Procedure/" + p.getIdElement().getIdPart(), p.getSubject().getReference(),
                    stage, start(p.getPerformed()), p.getIdentifier(), references(p.getBasedOn(), "ServiceRequest/"),
                    references(p.getReasonReference(), "Condition/"), p.getReasonCode(), display(p.getCode())));
        }
        if (resource instanceof ServiceRequest s && isSiJointFusion(s.getCode())) {
            Stage stage = switch (s.getStatus() == null ? ServiceRequest.ServiceRequestStatus.UNKNOWN : s.getStatus()) {
                case ACTIVE -> Stage.SCHEDULED;
                case COMPLETED -> Stage.PERFORMED;
                case REVOKED, ENTEREDINERROR -> Stage.CANCELLED;
                default -> Stage.OTHER;
            };
            return Optional.of(new Surgery("ServiceRequest/" + s.getIdElement().getIdPart(),
                    s.getSubject().getReference(), stage, start(s.getOccurrence()), s.getIdentifier(), List.of(),
                    references(s.getReasonReference(), "Condition/"), s.getReasonCode(), display(s.getCode())));
        }
        return Optional.empty();
    }

    /** Is this code an SI joint fusion (CPT 27278-27280, ICD-10-PCS 0SG7/0SG8)? */
    static boolean isSiJointFusion(CodeableConcept code) {
        for (Coding coding : code.getCoding()) {
            String value = coding.getCode();
            if (value == null) {
                continue;
            }
            if (CPT.equals(coding.getSystem()) && List.of("27278", "27279", "27280").contains(value)) {
                return true;
            }
            if (ICD10_PCS.contains(coding.getSystem()) && value.matches("0SG[78][0-9A-Z]{3}")) {
                return true;
            }
        }
        return false;
    }

    /** The patient's id, when the subject is a Patient. */
    Optional<String> patientId() {
        return subject != null && subject.startsWith("Patient/") && subject.length() > "Patient/".length()
                ? Optional.of(subject.substring("Patient/".length())) : Optional.empty();
    }

    /** This record and the orders it fulfils: a plan made for any of them is this surgery's plan. */
    List<String> sameSurgery() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(reference), fulfils.stream()).toList();
    }

    /** When it starts (performed[x], occurrence[x]): a dateTime, or a Period's start. */
    private static Optional<String> start(Type when) {
        if (when instanceof DateTimeType dateTime && dateTime.hasValue()) {
            return Optional.of(dateTime.getValueAsString());
        }
        if (when instanceof Period period && period.hasStart()) {
            return Optional.of(period.getStartElement().getValueAsString());
        }
        return Optional.empty();
    }

    private static List<String> references(List<Reference> references, String prefix) {
        return references.stream().map(Reference::getReference).filter(r -> r != null && r.startsWith(prefix)).toList();
    }

    private static String display(CodeableConcept code) {
        return code.hasText() ? code.getText() : "SI joint fusion";
    }
}
