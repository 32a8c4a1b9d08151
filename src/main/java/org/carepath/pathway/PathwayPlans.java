package org.carepath.pathway;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.search.ResourceSearch;
import org.carepath.store.ResourceStore;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Service;

/**
 * The pathway's planning on stored data: finds the PlanDefinition, the patient and their SI joint
 * fusion, and makes the CarePlan with {@link CarePlanner}. Shared by $apply and enrolment.
 */
@Service
public class PathwayPlans {

    public static final String PATHWAY = "https://carepath.org/fhir/PlanDefinition/si-joint-fusion";
    static final String CPT = "http://www.ama-assn.org/go/cpt";
    /** ICD-10-PCS as the pathway's ValueSet names it, and the HL7 terminology URI. */
    static final List<String> ICD10_PCS = List.of("http://www.cms.gov/Medicare/Coding/ICD10",
            "http://hl7.org/fhir/sid/icd-10-pcs");
    static final String TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone";

    private final ResourceInteractions interactions;
    private final ResourceSearch search;
    private final ResourceStore store;
    private final CarePlanner planner;

    public PathwayPlans(ResourceInteractions interactions, ResourceSearch search, ResourceStore store,
                        ProfileValidator validator) {
        this.interactions = interactions;
        this.search = search;
        this.store = store;
        this.planner = new CarePlanner(validator.content()::findByCanonicalUrl);
    }

    CarePlanner planner() {
        return planner;
    }

    /** The PlanDefinition by id (404 if unknown). */
    public PlanDefinition byId(String id) {
        return (PlanDefinition) interactions.read("PlanDefinition", id);
    }

    /** The live PlanDefinition with this canonical ({@code |version} allowed), 404 if none. */
    public PlanDefinition byCanonical(String canonical) {
        String url = canonical;
        String criteria;
        int bar = canonical.indexOf('|');
        if (bar >= 0) {
            url = canonical.substring(0, bar);
            criteria = "url=" + encode(url) + "&version=" + encode(canonical.substring(bar + 1));
        } else {
            criteria = "url=" + encode(url);
        }
        return store.findLive(search.findKeys("PlanDefinition", criteria, 10)).stream()
                .map(row -> (PlanDefinition) interactions.decode(row))
                // several versions under one url: the latest by version string, as CPG resolves it
                .max(Comparator.comparing(PlanDefinition::getVersion, Comparator.nullsFirst(Comparator.naturalOrder())))
                .orElseThrow(() -> new ResourceNotFoundException("No PlanDefinition with url " + canonical));
    }

    /** Reads the Patient a subject reference names: 400 if it is not a Patient reference, 404 if unknown. */
    public org.hl7.fhir.r4.model.Patient patient(String subject) {
        if (subject == null || subject.isBlank()) {
            throw new InvalidRequestException("Parameter 'subject' (a Patient reference, e.g. Patient/123) is required");
        }
        IdType id = new IdType(subject.trim());
        if (!"Patient".equals(id.getResourceType()) || !id.hasIdPart()) {
            throw new InvalidRequestException("Parameter 'subject' must reference a Patient (Patient/[id]): " + subject);
        }
        return (org.hl7.fhir.r4.model.Patient) interactions.read("Patient", id.getIdPart());
    }

    /** Is this Procedure an SI joint fusion, by its codes (CPT 27278-27280, ICD-10-PCS 0SG7/0SG8)? */
    public static boolean isSiJointFusion(Procedure procedure) {
        for (Coding coding : procedure.getCode().getCoding()) {
            String code = coding.getCode();
            if (code == null) {
                continue;
            }
            if (CPT.equals(coding.getSystem()) && List.of("27278", "27279", "27280").contains(code)) {
                return true;
            }
            if (ICD10_PCS.contains(coding.getSystem()) && code.matches("0SG[78][0-9A-Z]{3}")) {
                return true;
            }
        }
        return false;
    }

    /** The planned (or performed) surgery start of a Procedure, as the FHIR text, if it has one. */
    public static Optional<String> surgeryDate(Procedure procedure) {
        if (procedure.hasPerformedDateTimeType() && procedure.getPerformedDateTimeType().hasValue()) {
            return Optional.of(procedure.getPerformedDateTimeType().getValueAsString());
        }
        if (procedure.hasPerformedPeriod() && procedure.getPerformedPeriod().hasStart()) {
            return Optional.of(procedure.getPerformedPeriod().getStartElement().getValueAsString());
        }
        return Optional.empty();
    }

    /** The patient's scheduled SI joint fusion (status preparation, with a date), the most recently updated one. */
    public Optional<Procedure> scheduledSurgery(String patientId) {
        List<Long> keys = search.findKeys("Procedure",
                "subject=" + encode("Patient/" + patientId) + "&status=preparation", 100);
        return store.findLive(keys).stream()
                .map(row -> (Procedure) interactions.decode(row))
                .filter(PathwayPlans::isSiJointFusion)
                .filter(p -> surgeryDate(p).isPresent())
                .max(Comparator.comparing(p -> p.getMeta().getLastUpdated()));
    }

    /**
     * The time zone to date the plan in: the one asked for, else the patient's (core timezone
     * extension), else none (the surgery dateTime's own offset).
     */
    public static ZoneId zone(String requested, org.hl7.fhir.r4.model.Patient patient) {
        String name = requested;
        if ((name == null || name.isBlank()) && patient != null) {
            Extension tz = patient.getExtensionByUrl(TIMEZONE_EXTENSION);
            name = tz == null || tz.getValue() == null ? null : tz.getValue().primitiveValue();
        }
        if (name == null || name.isBlank()) {
            return null;
        }
        try {
            return ZoneId.of(name.trim());
        } catch (java.time.DateTimeException e) {
            throw new InvalidRequestException("Unknown time zone '" + name + "': use an IANA name such as Europe/Berlin");
        }
    }

    /** Plans for the patient; {@link IllegalArgumentException}s of the planner become 400. */
    public CarePlanner.Plan plan(PlanDefinition pathway, org.hl7.fhir.r4.model.Patient patient, String surgeryDate,
                                 ZoneId zone, Map<String, BigDecimal> overrides) {
        Reference subject = new Reference("Patient/" + patient.getIdElement().getIdPart());
        if (patient.hasName()) {
            subject.setDisplay(patient.getNameFirstRep().getNameAsSingleString());
        }
        try {
            return planner.plan(pathway, subject, CarePlanner.SurgeryTime.parse(surgeryDate, zone), overrides,
                    Instant.now());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /** Links the plan to the surgery it schedules and the conditions that surgery treats. */
    static void linkSurgery(CarePlan plan, Procedure procedure) {
        String id = "Procedure/" + procedure.getIdElement().getIdPart();
        plan.addSupportingInfo(new Reference(id).setDisplay(procedure.getCode().hasText()
                ? procedure.getCode().getText() : "SI joint fusion"));
        for (Reference reason : procedure.getReasonReference()) {
            if (reason.getReference() != null && reason.getReference().startsWith("Condition/")) {
                plan.addAddresses(new Reference(reason.getReference()));
            }
        }
        if (!plan.hasAddresses()) {
            // no Condition to point at: the reason codes still say what the plan is for
            for (CodeableConcept reason : procedure.getReasonCode()) {
                plan.addNote().setText("Reason for surgery: " + (reason.hasText() ? reason.getText()
                        : reason.getCodingFirstRep().getDisplay()));
            }
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
