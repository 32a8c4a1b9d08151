package org.carepath.monitoring;

import java.math.BigDecimal;
import java.time.ZonedDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.pathway.CarePlanner;
import org.carepath.pathway.PathwayPlans;
import org.carepath.pathway.Surgery;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * A patient enrolled in the pathway, as the rules need them: the active pathway CarePlan, the
 * surgery it was made for and its date, who owns the care team's Tasks, and the parameter values
 * the plan records for this patient.
 *
 * @param owner the care team (CarePlan.careTeam) or the surgeon's organization
 *              (Procedure.performer.onBehalfOf), or null when neither is known
 */
record Enrolment(String patientId, CarePlan plan, Surgery surgery, ZonedDateTime surgeryStart, Reference owner,
                 Map<String, BigDecimal> values) {

    /** What an enrolment is read from: a write of these types may change it. */
    static final Set<String> MADE_OF = Set.of("Patient", "CarePlan", "Procedure", "ServiceRequest");

    /** The patient's enrolment: their most recent active CarePlan of the pathway with a dated surgery. */
    static Optional<Enrolment> of(String patientId, Lookup lookup, ResourceInteractions interactions) {
        List<CarePlan> plans = lookup.find(CarePlan.class,
                "subject=" + Lookup.encode("Patient/" + patientId) + "&status=active", 100);
        Optional<CarePlan> pathwayPlan = plans.stream()
                .filter(plan -> plan.getInstantiatesCanonical().stream().anyMatch(c -> c.getValue() != null
                        && (c.getValue().equals(PathwayPlans.PATHWAY) || c.getValue().startsWith(PathwayPlans.PATHWAY + "|"))))
                .max(Comparator.comparing(plan -> plan.getMeta().getLastUpdated()));
        if (pathwayPlan.isEmpty()) {
            return Optional.empty();
        }
        CarePlan plan = pathwayPlan.get();
        // the surgery the plan was made for: its Procedure, else the ServiceRequest that ordered it
        IBaseResource record = null;
        Surgery surgery = null;
        for (String type : List.of("Procedure", "ServiceRequest")) {
            for (Reference info : plan.getSupportingInfo()) {
                if (surgery == null && info.getReference() != null && info.getReference().startsWith(type + "/")) {
                    try {
                        IBaseResource read = interactions.read(type, info.getReference().substring(type.length() + 1));
                        Optional<Surgery> dated = Surgery.of(read).filter(s -> s.date().isPresent());
                        if (dated.isPresent()) {
                            record = read;
                            surgery = dated.get();
                        }
                    } catch (ResourceNotFoundException | ResourceGoneException e) {
                        // a deleted record: no date to measure recovery from
                    }
                }
            }
        }
        if (surgery == null) {
            return Optional.empty();
        }
        Patient patient;
        try {
            patient = (Patient) interactions.read("Patient", patientId);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            return Optional.empty();
        }
        ZonedDateTime start = CarePlanner.SurgeryTime.parse(surgery.date().get(),
                PathwayPlans.zone(null, patient)).start();
        return Optional.of(new Enrolment(patientId, plan, surgery, start, owner(plan, record),
                RiskRule.parameters(plan)));
    }

    private static Reference owner(CarePlan plan, IBaseResource record) {
        for (Reference team : plan.getCareTeam()) {
            if (team.hasReference()) {
                return new Reference(team.getReference()).setDisplay(team.getDisplay());
            }
        }
        if (record instanceof ServiceRequest order) {
            for (Reference performer : order.getPerformer()) {
                String actor = performer.getReference();
                if (actor != null && (actor.startsWith("Organization/") || actor.startsWith("CareTeam/"))) {
                    return new Reference(actor).setDisplay(performer.getDisplay());
                }
            }
            return null;
        }
        Procedure surgery = (Procedure) record;
        for (Procedure.ProcedurePerformerComponent performer : surgery.getPerformer()) {
            if (performer.getOnBehalfOf().hasReference()) {
                return new Reference(performer.getOnBehalfOf().getReference()).setDisplay(performer.getOnBehalfOf().getDisplay());
            }
        }
        for (Procedure.ProcedurePerformerComponent performer : surgery.getPerformer()) {
            String actor = performer.getActor().getReference();
            if (actor != null && (actor.startsWith("Organization/") || actor.startsWith("CareTeam/"))) {
                return new Reference(actor).setDisplay(performer.getActor().getDisplay());
            }
        }
        return null;
    }

    String patientReference() {
        return "Patient/" + patientId;
    }
}
