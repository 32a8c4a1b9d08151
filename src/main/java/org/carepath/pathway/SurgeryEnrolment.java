package org.carepath.pathway;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.ResourceWriteListener;
import org.carepath.interaction.WriteResult;
import org.carepath.search.ResourceSearch;
import org.carepath.store.ResourceStore;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Enrols a patient in the pathway when their SI joint fusion is scheduled: a created Procedure
 * with an SI fusion code (by content, not by meta.profile), status preparation and a date gets its
 * CarePlan and patient Tasks stored in the same transaction. One surgery enrols once.
 */
@Component
class SurgeryEnrolment implements ResourceWriteListener {

    private static final Logger log = LoggerFactory.getLogger(SurgeryEnrolment.class);

    private final ResourceInteractions interactions;
    private final ResourceSearch search;
    private final ResourceStore store;
    private final PathwayPlans plans;

    SurgeryEnrolment(ResourceInteractions interactions, ResourceSearch search, ResourceStore store, PathwayPlans plans) {
        this.interactions = interactions;
        this.search = search;
        this.store = store;
        this.plans = plans;
    }

    @Override
    public void afterWrite(WriteResult result, IBaseResource previous) {
        // Only Procedures: our own CarePlan and Task writes come back here and are ignored.
        if (!"Procedure".equals(result.type()) || !(result.resource() instanceof Procedure procedure)) {
            return;
        }
        if (result.outcome() == WriteResult.Outcome.UPDATED && previous instanceof Procedure before
                && PathwayPlans.isSiJointFusion(procedure)) {
            replan(procedure, before);
            return;
        }
        if (!result.created()) {
            return;
        }
        if (procedure.getStatus() != Procedure.ProcedureStatus.PREPARATION
                || !PathwayPlans.isSiJointFusion(procedure) || PathwayPlans.surgeryDate(procedure).isEmpty()) {
            return;
        }
        String subject = procedure.getSubject().getReference();
        if (subject == null || !subject.startsWith("Patient/")) {
            return;
        }
        String patientId = subject.substring("Patient/".length());
        // Two writers enrolling the same patient take turns, so neither misses the other's plan.
        interactions.lock("enrol:Patient/" + patientId);
        if (alreadyEnrolled(patientId, procedure)) {
            return;
        }
        Patient patient;
        PlanDefinition pathway;
        try {
            patient = (Patient) interactions.read("Patient", patientId);
            pathway = plans.byCanonical(PathwayPlans.PATHWAY);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            // The surgery itself is still recorded; the plan can be made later with $apply.
            log.warn("Not enrolling {} for Procedure/{}: {}", subject, result.id(), e.getMessage());
            return;
        }
        CarePlanner.Plan plan = plans.plan(pathway, patient, PathwayPlans.surgeryDate(procedure).orElseThrow(),
                PathwayPlans.zone(null, patient), Map.of());
        store(plan, procedure);
    }

    /** An active plan of this pathway for the patient made for this surgery or one with the same identifier. */
    private boolean alreadyEnrolled(String patientId, Procedure procedure) {
        Set<String> sameSurgery = new HashSet<>();
        sameSurgery.add("Procedure/" + procedure.getIdElement().getIdPart());
        for (Identifier identifier : procedure.getIdentifier()) {
            if (!identifier.hasValue()) {
                continue;
            }
            String token = (identifier.hasSystem() ? identifier.getSystem() + "|" : "") + identifier.getValue();
            for (var row : store.findLive(search.findKeys("Procedure", "identifier="
                    + PathwayPlans.encode(token) + "&subject=" + PathwayPlans.encode("Patient/" + patientId), 100))) {
                sameSurgery.add("Procedure/" + row.id());
            }
        }
        List<Long> keys = search.findKeys("CarePlan",
                "subject=" + PathwayPlans.encode("Patient/" + patientId) + "&status=active", 1000);
        return store.findLive(keys).stream()
                .map(row -> (CarePlan) interactions.decode(row))
                .filter(plan -> plan.getInstantiatesCanonical().stream()
                        .anyMatch(c -> c.getValue().equals(PathwayPlans.PATHWAY)
                                || c.getValue().startsWith(PathwayPlans.PATHWAY + "|")))
                .anyMatch(plan -> plan.getSupportingInfo().stream()
                        .anyMatch(r -> sameSurgery.contains(r.getReference())));
    }

    /**
     * A changed surgery changes its plan (new versions of the same CarePlan and Tasks): another
     * date re-dates every activity not yet done; not-done or entered-in-error revokes the plan and
     * cancels its open Tasks; completed marks the day-of-surgery steps done.
     */
    private void replan(Procedure procedure, Procedure before) {
        String subject = procedure.getSubject().getReference();
        if (subject == null || !subject.startsWith("Patient/")) {
            return;
        }
        String patientId = subject.substring("Patient/".length());
        interactions.lock("enrol:Patient/" + patientId);
        String surgeryRef = "Procedure/" + procedure.getIdElement().getIdPart();
        List<CarePlan> affected = store.findLive(search.findKeys("CarePlan",
                        "subject=" + PathwayPlans.encode(subject) + "&status=active", 1000)).stream()
                .map(row -> (CarePlan) interactions.decode(row))
                .filter(plan -> plan.getSupportingInfo().stream().anyMatch(r -> surgeryRef.equals(r.getReference())))
                .toList();
        for (CarePlan plan : affected) {
            switch (procedure.getStatus()) {
                case NOTDONE, ENTEREDINERROR -> revoke(plan);
                case COMPLETED -> surgeryDone(plan);
                default -> {
                    var date = PathwayPlans.surgeryDate(procedure);
                    if (date.isPresent() && !date.equals(PathwayPlans.surgeryDate(before))) {
                        redate(plan, patientId, date.get());
                    }
                }
            }
        }
    }

    private void revoke(CarePlan plan) {
        plan.setStatus(CarePlan.CarePlanStatus.REVOKED);
        for (var activity : plan.getActivity()) {
            if (!isDone(activity.getDetail().getStatus())) {
                activity.getDetail().setStatus(CarePlan.CarePlanActivityStatus.CANCELLED);
            }
            for (Task task : tasks(activity)) {
                if (isOpen(task)) {
                    task.setStatus(Task.TaskStatus.CANCELLED);
                    interactions.update("Task", task.getIdElement().getIdPart(), task, null);
                }
            }
        }
        interactions.update("CarePlan", plan.getIdElement().getIdPart(), plan, null);
    }

    /** The surgery activity is done; the patient's own day-of-surgery Tasks stay theirs to complete. */
    private void surgeryDone(CarePlan plan) {
        for (var activity : plan.getActivity()) {
            if (activity.getDetail().getInstantiatesCanonical().stream()
                    .anyMatch(c -> c.getValue().endsWith("/ActivityDefinition/si-joint-fusion-surgery"))) {
                activity.getDetail().setStatus(CarePlan.CarePlanActivityStatus.COMPLETED);
            }
        }
        interactions.update("CarePlan", plan.getIdElement().getIdPart(), plan, null);
    }

    /**
     * Re-dates the activities not yet done from the new surgery date, with the plan's own parameter
     * values; computed afresh rather than shifted so that DST and calendar months stay right.
     */
    private void redate(CarePlan plan, String patientId, String surgeryDate) {
        Patient patient = (Patient) interactions.read("Patient", patientId);
        PlanDefinition pathway = plans.byCanonical(plan.getInstantiatesCanonical().get(0).getValue());
        Map<String, java.math.BigDecimal> overrides = new java.util.LinkedHashMap<>();
        for (var used : plan.getExtensionsByUrl(CarePlanner.PARAMETER_EXTENSION)) {
            var value = used.getExtensionByUrl("value").getValue();
            overrides.put(used.getExtensionByUrl("name").getValue().primitiveValue(),
                    value instanceof org.hl7.fhir.r4.model.Quantity q ? q.getValue()
                            : new java.math.BigDecimal(value.primitiveValue()));
        }
        CarePlan fresh = plans.plan(pathway, patient, surgeryDate, PathwayPlans.zone(null, patient), overrides)
                .carePlan();
        if (fresh.getActivity().size() != plan.getActivity().size()) {
            log.warn("CarePlan/{} no longer matches its pathway's actions: not re-dated", plan.getIdElement().getIdPart());
            return;
        }
        for (int i = 0; i < plan.getActivity().size(); i++) {
            var detail = plan.getActivity().get(i).getDetail();
            if (isDone(detail.getStatus())) {
                continue;
            }
            var dated = fresh.getActivity().get(i).getDetail();
            detail.setScheduled(dated.getScheduled());
            for (Task task : tasks(plan.getActivity().get(i))) {
                if (isOpen(task)) {
                    task.setExecutionPeriod(dated.hasScheduledPeriod() ? dated.getScheduledPeriod()
                            : dated.getScheduledTiming().getRepeat().getBoundsPeriod());
                    interactions.update("Task", task.getIdElement().getIdPart(), task, null);
                }
            }
        }
        plan.setPeriod(fresh.getPeriod());
        plan.setText(fresh.getText());
        interactions.update("CarePlan", plan.getIdElement().getIdPart(), plan, null);
    }

    private List<Task> tasks(CarePlan.CarePlanActivityComponent activity) {
        return activity.getOutcomeReference().stream()
                .filter(r -> r.getReference() != null && r.getReference().startsWith("Task/"))
                .map(r -> (Task) interactions.read("Task", r.getReference().substring("Task/".length())))
                .toList();
    }

    private static boolean isDone(CarePlan.CarePlanActivityStatus status) {
        return status == CarePlan.CarePlanActivityStatus.COMPLETED || status == CarePlan.CarePlanActivityStatus.CANCELLED
                || status == CarePlan.CarePlanActivityStatus.STOPPED
                || status == CarePlan.CarePlanActivityStatus.ENTEREDINERROR;
    }

    private static boolean isOpen(Task task) {
        return switch (task.getStatus()) {
            case COMPLETED, CANCELLED, FAILED, ENTEREDINERROR, REJECTED -> false;
            default -> true;
        };
    }

    /** Stores the CarePlan and its Tasks, each under an id chosen first so that they can name each other. */
    private void store(CarePlanner.Plan plan, Procedure procedure) {
        CarePlan carePlan = plan.carePlan();
        String planId = interactions.newId();
        carePlan.setId(planId);
        PathwayPlans.linkSurgery(carePlan, procedure);
        for (CarePlanner.PlannedTask planned : plan.tasks()) {
            String taskId = interactions.newId();
            Task task = planned.task();
            task.setId(taskId);
            task.addBasedOn(new Reference("CarePlan/" + planId));
            carePlan.getActivity().get(planned.activity()).addOutcomeReference(new Reference("Task/" + taskId));
        }
        interactions.update("CarePlan", planId, carePlan, null);
        for (CarePlanner.PlannedTask planned : plan.tasks()) {
            Task task = planned.task();
            interactions.update("Task", task.getIdElement().getIdPart(), task, null);
        }
        log.info("Enrolled {} in {}: CarePlan/{} with {} Tasks", carePlan.getSubject().getReference(),
                PathwayPlans.PATHWAY, planId, plan.tasks().size());
    }
}
