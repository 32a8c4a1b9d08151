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
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Service;

/**
 * The pathway's planning on stored data: finds the PlanDefinition, the patient and their SI joint
 * fusion, and makes the CarePlan with {@link CarePlanner}. Shared by $apply and enrolment.
 */
@Service
public class PathwayPlans {

    public static final String PATHWAY = "https://carepath.org/fhir/PlanDefinition/si-joint-fusion";
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

    /**
     * The patient's scheduled SI joint fusion (a Procedure in preparation or an active
     * ServiceRequest, with a date), the most recently updated one.
     */
    public Optional<Surgery> scheduledSurgery(String patientId) {
        String criteria = "subject=" + encode("Patient/" + patientId);
        return java.util.stream.Stream.concat(
                        store.findLive(search.findKeys("Procedure", criteria + "&status=preparation", 100)).stream(),
                        store.findLive(search.findKeys("ServiceRequest", criteria + "&status=active", 100)).stream())
                .map(interactions::decode)
                .filter(r -> Surgery.of(r).filter(s -> s.stage() == Surgery.Stage.SCHEDULED && s.date().isPresent())
                        .isPresent())
                .max(Comparator.comparing(r -> r.getMeta().getLastUpdated()))
                .flatMap(Surgery::of);
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
    static void linkSurgery(CarePlan plan, Surgery surgery) {
        plan.addSupportingInfo(new Reference(surgery.reference()).setDisplay(surgery.display()));
        for (String reason : surgery.reasons()) {
            plan.addAddresses(new Reference(reason));
        }
        if (!plan.hasAddresses()) {
            // no Condition to point at: the reason codes still say what the plan is for
            for (CodeableConcept reason : surgery.reasonCodes()) {
                plan.addNote().setText("Reason for surgery: " + (reason.hasText() ? reason.getText()
                        : reason.getCodingFirstRep().getDisplay()));
            }
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
