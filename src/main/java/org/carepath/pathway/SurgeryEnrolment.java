package org.carepath.pathway;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Enrols a patient in the pathway when their SI joint fusion is scheduled, and keeps the plan in
 * step with the surgery. A Procedure (status preparation) or ServiceRequest (status active) with an
 * SI fusion code (by content, not by meta.profile) and a date gets its CarePlan and patient Tasks
 * stored in the same transaction; one surgery enrols once, however often it is posted; a surgery
 * recorded without a date enrols when the date arrives.
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
        // Our own CarePlan and Task writes come back here too; Surgery.of ignores them.
        if (result.resource() == null) {
            return;
        }
        Optional<Surgery> recorded = Surgery.of(result.resource());
        if (recorded.isEmpty() || recorded.get().patientId().isEmpty()) {
            return;
        }
        Surgery surgery = recorded.get();
        String patientId = surgery.patientId().get();
        // Two writers enrolling the same patient take turns, so neither misses the other's plan.
        interactions.lock("enrol:Patient/" + patientId);
        List<CarePlan> current = plansFor(patientId, surgery.sameSurgery());
        if (current.isEmpty()) {
            if (surgery.stage() == Surgery.Stage.SCHEDULED && surgery.date().isPresent()
                    && !enrolledUnderAnotherRecord(patientId, surgery)) {
                enrol(patientId, surgery, result.id());
            }
            return;
        }
        for (CarePlan plan : current) {
            follow(plan, patientId, surgery);
        }
    }

    private void enrol(String patientId, Surgery surgery, String id) {
        Patient patient;
        PlanDefinition pathway;
        try {
            patient = (Patient) interactions.read("Patient", patientId);
            pathway = plans.byCanonical(PathwayPlans.PATHWAY);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            // The surgery itself is still recorded; the plan can be made later with $apply.
            log.warn("Not enrolling Patient/{} for {}: {}", patientId, surgery.reference(), e.getMessage());
            return;
        }
        CarePlanner.Plan plan = plans.plan(pathway, patient, surgery.date().orElseThrow(),
                PathwayPlans.zone(null, patient), Map.of());
        store(plan, surgery);
    }

    /** The patient's active plans of this pathway made for any of these records of one surgery. */
    private List<CarePlan> plansFor(String patientId, Collection<String> records) {
        return store.findLive(search.findKeys("CarePlan",
                        "subject=" + PathwayPlans.encode("Patient/" + patientId) + "&status=active", 1000)).stream()
                .map(row -> (CarePlan) interactions.decode(row))
                .filter(plan -> plan.getInstantiatesCanonical().stream()
                        .anyMatch(c -> c.getValue().equals(PathwayPlans.PATHWAY)
                                || c.getValue().startsWith(PathwayPlans.PATHWAY + "|")))
                .filter(plan -> plan.getSupportingInfo().stream().anyMatch(r -> records.contains(r.getReference())))
                .toList();
    }

    /**
     * Is the patient already enrolled for a record of the same type with the same identifier (the
     * EHR posting its surgery again)? Such a duplicate is not linked to the plan, so that marking
     * the duplicate entered-in-error leaves the real plan alone.
     */
    private boolean enrolledUnderAnotherRecord(String patientId, Surgery surgery) {
        String type = surgery.reference().substring(0, surgery.reference().indexOf('/'));
        Set<String> same = new HashSet<>();
        for (Identifier identifier : surgery.identifiers()) {
            if (!identifier.hasValue()) {
                continue;
            }
            String token = (identifier.hasSystem() ? identifier.getSystem() + "|" : "") + identifier.getValue();
            for (var row : store.findLive(search.findKeys(type, "identifier=" + PathwayPlans.encode(token)
                    + "&subject=" + PathwayPlans.encode("Patient/" + patientId), 100))) {
                same.add(type + "/" + row.id());
            }
        }
        same.remove(surgery.reference());
        return !same.isEmpty() && !plansFor(patientId, same).isEmpty();
    }

    /**
     * A changed surgery changes its plan (new versions of the same CarePlan and Tasks): cancelled
     * revokes the plan and cancels its open Tasks; another date re-dates every activity not yet
     * done; performed marks the surgery step done (after re-dating from the actual date).
     */
    private void follow(CarePlan plan, String patientId, Surgery surgery) {
        if (surgery.stage() == Surgery.Stage.CANCELLED) {
            revoke(plan);
            return;
        }
        boolean changed = false;
        if (plan.getSupportingInfo().stream().noneMatch(r -> surgery.reference().equals(r.getReference()))) {
            // e.g. the Procedure that fulfils the ServiceRequest the plan was made for
            plan.addSupportingInfo(new Reference(surgery.reference()).setDisplay(surgery.display()));
            changed = true;
        }
        if (surgery.date().isPresent()) {
            changed |= redate(plan, patientId, surgery.date().get());
        }
        if (surgery.stage() == Surgery.Stage.PERFORMED) {
            changed |= surgeryDone(plan);
        }
        if (changed) {
            interactions.updateAuthored("CarePlan", plan.getIdElement().getIdPart(), plan);
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
                    interactions.updateAuthored("Task", task.getIdElement().getIdPart(), task);
                }
            }
        }
        interactions.updateAuthored("CarePlan", plan.getIdElement().getIdPart(), plan);
    }

    /** The surgery activity is done; the patient's own day-of-surgery Tasks stay theirs to complete. */
    private static boolean surgeryDone(CarePlan plan) {
        boolean changed = false;
        for (var activity : plan.getActivity()) {
            var detail = activity.getDetail();
            if (detail.getStatus() != CarePlan.CarePlanActivityStatus.COMPLETED && detail.getInstantiatesCanonical()
                    .stream().anyMatch(c -> c.getValue().endsWith("/ActivityDefinition/si-joint-fusion-surgery"))) {
                detail.setStatus(CarePlan.CarePlanActivityStatus.COMPLETED);
                changed = true;
            }
        }
        return changed;
    }

    /**
     * Re-dates the activities not yet done from the surgery date, with the plan's own parameter
     * values; computed afresh rather than shifted so that DST and calendar months stay right.
     * Returns whether any date moved (the caller stores the plan).
     */
    private boolean redate(CarePlan plan, String patientId, String surgeryDate) {
        Patient patient = (Patient) interactions.read("Patient", patientId);
        PlanDefinition pathway = plans.byCanonical(plan.getInstantiatesCanonical().get(0).getValue());
        Map<String, BigDecimal> overrides = new LinkedHashMap<>();
        for (var used : plan.getExtensionsByUrl(CarePlanner.PARAMETER_EXTENSION)) {
            var value = used.getExtensionByUrl("value").getValue();
            overrides.put(used.getExtensionByUrl("name").getValue().primitiveValue(),
                    value instanceof Quantity q ? q.getValue() : new BigDecimal(value.primitiveValue()));
        }
        CarePlan fresh = plans.plan(pathway, patient, surgeryDate, PathwayPlans.zone(null, patient), overrides)
                .carePlan();
        if (fresh.getActivity().size() != plan.getActivity().size()) {
            log.warn("CarePlan/{} no longer matches its pathway's actions: not re-dated", plan.getIdElement().getIdPart());
            return false;
        }
        boolean moved = false;
        for (int i = 0; i < plan.getActivity().size(); i++) {
            var detail = plan.getActivity().get(i).getDetail();
            var dated = fresh.getActivity().get(i).getDetail();
            // not-started steps are dated from the plan's start (eligibility), not from the surgery
            if (isDone(detail.getStatus()) || dated.getStatus() == CarePlan.CarePlanActivityStatus.NOTSTARTED
                    || detail.getScheduled().equalsDeep(dated.getScheduled())) {
                continue;
            }
            moved = true;
            detail.setScheduled(dated.getScheduled());
            for (Task task : tasks(plan.getActivity().get(i))) {
                if (isOpen(task)) {
                    task.setExecutionPeriod(dated.hasScheduledPeriod() ? dated.getScheduledPeriod()
                            : dated.getScheduledTiming().getRepeat().getBoundsPeriod());
                    interactions.updateAuthored("Task", task.getIdElement().getIdPart(), task);
                }
            }
        }
        if (moved) {
            plan.getPeriod().setEndElement(fresh.getPeriod().getEndElement());
            plan.setText(fresh.getText());
        }
        return moved;
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
    private void store(CarePlanner.Plan plan, Surgery surgery) {
        CarePlan carePlan = plan.carePlan();
        String planId = interactions.newId();
        carePlan.setId(planId);
        PathwayPlans.linkSurgery(carePlan, surgery);
        for (CarePlanner.PlannedTask planned : plan.tasks()) {
            String taskId = interactions.newId();
            Task task = planned.task();
            task.setId(taskId);
            task.addBasedOn(new Reference("CarePlan/" + planId));
            carePlan.getActivity().get(planned.activity()).addOutcomeReference(new Reference("Task/" + taskId));
        }
        interactions.updateAuthored("CarePlan", planId, carePlan);
        for (CarePlanner.PlannedTask planned : plan.tasks()) {
            Task task = planned.task();
            interactions.updateAuthored("Task", task.getIdElement().getIdPart(), task);
        }
        log.info("Enrolled {} in {}: CarePlan/{} with {} Tasks", carePlan.getSubject().getReference(),
                PathwayPlans.PATHWAY, planId, plan.tasks().size());
    }
}
