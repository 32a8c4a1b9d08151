package org.carepath.pathway;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.ActivityDefinition;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityKind;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Duration;
import org.hl7.fhir.r4.model.Expression;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.PlanDefinition.PlanDefinitionActionComponent;
import org.hl7.fhir.r4.model.PlanDefinition.PlanDefinitionActionRelatedActionComponent;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Questionnaire;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Task;
import org.hl7.fhir.r4.model.Timing;
import org.hl7.fhir.r4.model.Type;

/**
 * Turns the pathway PlanDefinition into one patient's dated CarePlan and patient-facing Tasks,
 * following the content conventions of fhir-profiles/README.md ("How the pathway is computed").
 * Knows nothing of HTTP or storage: the caller decides whether the result is returned or stored.
 */
public class CarePlanner {

    public static final String CAREPLAN_PROFILE = "https://carepath.org/fhir/StructureDefinition/si-fusion-careplan";
    static final String PARAMETER_EXTENSION = "https://carepath.org/fhir/StructureDefinition/pathway-parameter";
    static final String CQF_EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression";
    static final String PATHWAY_CODES = "https://carepath.org/fhir/CodeSystem/pathway";
    static final String ANCHOR = "surgery";

    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
    private static final DateTimeFormatter SPOKEN_DATE = DateTimeFormatter.ofPattern("EEEE d MMMM yyyy", Locale.ENGLISH);
    private static final DateTimeFormatter SPOKEN_TIME = DateTimeFormatter.ofPattern("HH:mm", Locale.ENGLISH);
    /** R4 CarePlan activity kinds an ActivityDefinition.kind may map to directly. */
    private static final Set<String> ACTIVITY_KINDS = Set.of("Appointment", "CommunicationRequest", "DeviceRequest",
            "MedicationRequest", "NutritionOrder", "Task", "ServiceRequest", "VisionPrescription");

    /**
     * The surgery time: a FHIR date (the whole day) or dateTime, placed in a time zone so that
     * calendar offsets (days, weeks, months) keep the wall-clock time across DST changes.
     */
    public record SurgeryTime(ZonedDateTime start, boolean dateOnly) {

        /**
         * @param zone the patient's time zone, or null to keep the dateTime's own offset (then a
         *             DST change between surgery and an activity shifts that activity by an hour)
         */
        public static SurgeryTime parse(String fhirDate, ZoneId zone) {
            String text = fhirDate == null ? "" : fhirDate.trim();
            try {
                if (text.matches("\\d{4}-\\d{2}-\\d{2}")) {
                    ZoneId in = zone == null ? ZoneOffset.UTC : zone;
                    return new SurgeryTime(LocalDate.parse(text).atStartOfDay(in), true);
                }
                OffsetDateTime at = OffsetDateTime.parse(text);
                return new SurgeryTime(zone == null ? at.toZonedDateTime() : at.atZoneSameInstant(zone), false);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("The surgery date must be a FHIR date (2027-03-10) or a dateTime"
                        + " with time zone (2027-03-10T08:00:00+01:00): " + fhirDate);
            }
        }
    }

    /** The plan: CarePlan plus the patient-facing Tasks, each Task bound to one activity. */
    public record Plan(CarePlan carePlan, List<PlannedTask> tasks) {
    }

    /** A Task and the index of the CarePlan activity it carries out. */
    public record PlannedTask(int activity, Task task) {
    }

    /** One dated leaf action, before it becomes an activity. */
    private record Step(PlanDefinitionActionComponent phase, PlanDefinitionActionComponent action,
                        ZonedDateTime start, ZonedDateTime end, Timing recurrence, boolean fromPlanStart) {

        ZonedDateTime last() {
            return end != null ? end : start;
        }
    }

    private final Function<String, Optional<IBaseResource>> definitions;

    /** @param definitions finds an ActivityDefinition or Questionnaire by canonical URL */
    public CarePlanner(Function<String, Optional<IBaseResource>> definitions) {
        this.definitions = definitions;
    }

    /**
     * @param overrides pathway parameter values for this patient (name to number in the
     *                  parameter's unit); unknown names are refused
     * @param now       the plan start: eligibility actions are scheduled then, and activities
     *                  entirely before it are not planned (marked cancelled, no Task)
     */
    public Plan plan(PlanDefinition pathway, Reference subject, SurgeryTime surgery,
                     Map<String, BigDecimal> overrides, Instant now) {
        Map<String, Extension> declared = declaredParameters(pathway);
        for (String name : overrides.keySet()) {
            if (!declared.containsKey(name)) {
                throw new IllegalArgumentException("Unknown pathway parameter '" + name + "'; the pathway declares "
                        + String.join(", ", declared.keySet()));
            }
        }
        ZoneId zone = surgery.start().getZone();
        ZonedDateTime planStart = surgery.dateOnly()
                ? now.atZone(zone).toLocalDate().atStartOfDay(zone) : now.atZone(zone);

        List<Step> steps = new ArrayList<>();
        for (PlanDefinitionActionComponent phase : pathway.getAction()) {
            for (PlanDefinitionActionComponent action : phase.getAction()) {
                steps.add(date(phase, action, surgery.start(), planStart, overrides));
            }
        }

        CarePlan plan = new CarePlan();
        plan.getMeta().addProfile(CAREPLAN_PROFILE);
        plan.setStatus(CarePlan.CarePlanStatus.ACTIVE);
        plan.setIntent(CarePlan.CarePlanIntent.PLAN);
        plan.setTitle(pathway.hasTitle() ? pathway.getTitle() : pathway.getName());
        plan.addInstantiatesCanonical(pathway.getUrl() + (pathway.hasVersion() ? "|" + pathway.getVersion() : ""));
        plan.setSubject(subject.copy());
        plan.setCreatedElement(new DateTimeType(DATE_TIME.format(now.atZone(zone))));
        for (Map.Entry<String, BigDecimal> override : overrides.entrySet()) {
            plan.addExtension(usedValue(declared.get(override.getKey()), override.getValue()));
        }
        ZonedDateTime first = steps.stream().map(Step::start).min(Comparator.naturalOrder()).orElseThrow();
        ZonedDateTime last = steps.stream().map(Step::last).max(Comparator.naturalOrder()).orElseThrow();
        plan.setPeriod(new Period().setStartElement(dateTime(first, surgery.dateOnly()))
                .setEndElement(dateTime(last, surgery.dateOnly())));

        List<PlannedTask> tasks = new ArrayList<>();
        for (Step step : steps) {
            boolean passed = step.last().isBefore(planStart);
            CarePlan.CarePlanActivityDetailComponent detail = plan.addActivity().getDetail();
            activityDetail(detail, step, surgery.dateOnly(), passed);
            if (!passed && patientFacing(step.action())) {
                tasks.add(new PlannedTask(plan.getActivity().size() - 1, task(step, subject, surgery.dateOnly())));
            }
        }
        plan.setText(narrative(plan, steps, surgery));
        return new Plan(plan, tasks);
    }

    /** The pathway's declared parameters by name. */
    static Map<String, Extension> declaredParameters(PlanDefinition pathway) {
        Map<String, Extension> declared = new LinkedHashMap<>();
        for (Extension parameter : pathway.getExtensionsByUrl(PARAMETER_EXTENSION)) {
            Extension name = parameter.getExtensionByUrl("name");
            if (name != null && name.getValue() != null) {
                declared.put(name.getValue().primitiveValue(), parameter);
            }
        }
        return declared;
    }

    private Step date(PlanDefinitionActionComponent phase, PlanDefinitionActionComponent action,
                      ZonedDateTime surgery, ZonedDateTime planStart, Map<String, BigDecimal> overrides) {
        if (ANCHOR.equals(action.getId())) {
            return new Step(phase, action, surgery, null, null, false);
        }
        Optional<PlanDefinitionActionRelatedActionComponent> related = action.getRelatedAction().stream()
                .filter(r -> ANCHOR.equals(r.getActionId())).findFirst();
        if (related.isEmpty()) {
            // Eligibility actions: before a surgery date exists, so from the start of the care plan.
            return new Step(phase, action, planStart, null, null, true);
        }
        PlanDefinitionActionRelatedActionComponent relation = related.get();
        Duration offset = relation.hasOffsetDuration() ? relation.getOffsetDuration() : null;
        ZonedDateTime start = switch (relation.getRelationship()) {
            case BEFORESTART -> offset == null ? surgery : minus(surgery, offset, overrides);
            case AFTERSTART, CONCURRENTWITHSTART -> offset == null ? surgery : plus(surgery, offset, overrides);
            default -> throw new IllegalStateException("Action " + action.getId() + ": relationship "
                    + relation.getRelationship().toCode() + " to surgery is not supported");
        };
        ZonedDateTime end = null;
        Timing recurrence = null;
        if (action.hasTimingTiming() && action.getTimingTiming().getRepeat().hasBoundsDuration()) {
            Timing.TimingRepeatComponent repeat = action.getTimingTiming().getRepeat();
            end = plus(start, repeat.getBoundsDuration(), overrides);
            if (repeat.hasPeriod()) {
                recurrence = new Timing();
                Timing.TimingRepeatComponent dated = recurrence.getRepeat();
                if (repeat.hasFrequency()) {
                    dated.setFrequency(repeat.getFrequency());
                }
                dated.setPeriodElement(new DecimalType(value(repeat.getPeriodElement(), overrides)));
                dated.setPeriodUnit(repeat.getPeriodUnit());
            }
        }
        return new Step(phase, action, start, end, recurrence, false);
    }

    /** A number of the content, or the patient's value of the parameter its cqf-expression names. */
    private static BigDecimal value(DecimalType number, Map<String, BigDecimal> overrides) {
        Extension expression = number.getExtensionByUrl(CQF_EXPRESSION);
        if (expression != null && expression.getValue() instanceof Expression e && e.hasExpression()
                && e.getExpression().startsWith("%")) {
            BigDecimal chosen = overrides.get(e.getExpression().substring(1));
            if (chosen != null) {
                return chosen;
            }
        }
        return number.getValue();
    }

    private static ZonedDateTime plus(ZonedDateTime from, Duration duration, Map<String, BigDecimal> overrides) {
        return shift(from, duration, value(duration.getValueElement(), overrides));
    }

    private static ZonedDateTime minus(ZonedDateTime from, Duration duration, Map<String, BigDecimal> overrides) {
        return shift(from, duration, value(duration.getValueElement(), overrides).negate());
    }

    /**
     * Hours and minutes are elapsed time (12 h before is 12 real hours, across a DST change too);
     * days, weeks, months and years are calendar units that keep the wall-clock time.
     */
    private static ZonedDateTime shift(ZonedDateTime from, Duration duration, BigDecimal amount) {
        long n;
        try {
            n = amount.longValueExact();
        } catch (ArithmeticException e) {
            if (!"h".equals(duration.getCode()) && !"d".equals(duration.getCode())) {
                throw new IllegalArgumentException("Only whole numbers of " + duration.getCode() + " are supported: " + amount);
            }
            return from.plusSeconds(amount.multiply(BigDecimal.valueOf("h".equals(duration.getCode()) ? 3600 : 86400))
                    .longValue());
        }
        return switch (duration.getCode()) {
            case "min" -> from.plusMinutes(n);
            case "h" -> from.plusHours(n);
            case "d" -> from.plusDays(n);
            case "wk" -> from.plusWeeks(n);
            case "mo" -> from.plusMonths(n);
            case "a" -> from.plusYears(n);
            default -> throw new IllegalStateException("Unsupported UCUM duration unit " + duration.getCode());
        };
    }

    private void activityDetail(CarePlan.CarePlanActivityDetailComponent detail, Step step, boolean dateOnly,
                                boolean passed) {
        PlanDefinitionActionComponent action = step.action();
        detail.setKind(kind(action));
        if (action.hasCode()) {
            detail.setCode(action.getCodeFirstRep().copy());
        }
        if (action.hasDefinitionCanonicalType()) {
            detail.addInstantiatesCanonical(action.getDefinitionCanonicalType().getValue());
        }
        detail.setDescription(action.getTitle() + ": " + action.getDescription());
        if (step.recurrence() != null) {
            Timing timing = step.recurrence().copy();
            timing.getRepeat().setBounds(period(step, dateOnly));
            detail.setScheduled(timing);
        } else {
            detail.setScheduled(period(step, dateOnly));
        }
        if (passed) {
            // Planned after the fact: what is already over is recorded, not asked of the patient.
            detail.setStatus(CarePlanActivityStatus.CANCELLED);
            detail.setStatusReason(new CodeableConcept().setText(
                    "Not done as part of this plan: its time had passed when the plan was made"));
        } else {
            detail.setStatus(step.fromPlanStart() ? CarePlanActivityStatus.NOTSTARTED : CarePlanActivityStatus.SCHEDULED);
        }
    }

    private static Period period(Step step, boolean dateOnly) {
        Period period = new Period().setStartElement(dateTime(step.start(), dateOnly));
        if (step.end() != null) {
            period.setEndElement(dateTime(step.end(), dateOnly));
        }
        return period;
    }

    /** A dated activity in the zone's offset at that instant, or only the day when the surgery has no time. */
    static DateTimeType dateTime(ZonedDateTime at, boolean dateOnly) {
        return new DateTimeType(dateOnly ? at.toLocalDate().toString() : DATE_TIME.format(at));
    }

    /** From the definition: an ActivityDefinition's kind, Task for a Questionnaire (it asks the patient). */
    private CarePlanActivityKind kind(PlanDefinitionActionComponent action) {
        Optional<IBaseResource> definition = definition(action);
        if (definition.isPresent() && definition.get() instanceof ActivityDefinition ad && ad.hasKind()
                && ACTIVITY_KINDS.contains(ad.getKind().toCode())) {
            return CarePlanActivityKind.fromCode(ad.getKind().toCode());
        }
        return CarePlanActivityKind.TASK;
    }

    private Optional<IBaseResource> definition(PlanDefinitionActionComponent action) {
        return action.hasDefinitionCanonicalType() ? definitions.apply(action.getDefinitionCanonicalType().getValue()) : Optional.empty();
    }

    /** The patient acts: a Questionnaire to answer, or an ActivityDefinition whose participant is the patient. */
    private boolean patientFacing(PlanDefinitionActionComponent action) {
        Optional<IBaseResource> definition = definition(action);
        if (definition.isEmpty()) {
            return false;
        }
        if (definition.get() instanceof Questionnaire) {
            return true;
        }
        return definition.get() instanceof ActivityDefinition ad && ad.getParticipant().stream()
                .anyMatch(p -> p.getType() == ActivityDefinition.ActivityParticipantType.PATIENT);
    }

    private Task task(Step step, Reference subject, boolean dateOnly) {
        PlanDefinitionActionComponent action = step.action();
        IBaseResource definition = definition(action).orElseThrow();
        Task task = new Task();
        task.setStatus(Task.TaskStatus.REQUESTED);
        task.setIntent(Task.TaskIntent.PLAN);
        task.setFor(subject.copy());
        if (action.hasCode()) {
            task.setCode(action.getCodeFirstRep().copy());
        }
        String type = definition.fhirType();
        Reference focus = new Reference(type + "/" + definition.getIdElement().getIdPart());
        if (definition instanceof ActivityDefinition ad) {
            task.setInstantiatesCanonical(action.getDefinitionCanonicalType().getValue());
            focus.setDisplay(ad.getTitle());
            // The patient instruction lives on the ActivityDefinition (README: description = for the patient).
            task.setDescription(ad.hasDescription() ? ad.getDescription() : action.getDescription());
        } else {
            Questionnaire questionnaire = (Questionnaire) definition;
            focus.setDisplay(questionnaire.getTitle());
            task.setDescription(action.getDescription());
            task.addInput().setType(new CodeableConcept().setText("questionnaire"))
                    .setValue(new org.hl7.fhir.r4.model.CanonicalType(action.getDefinitionCanonicalType().getValue()));
        }
        task.setFocus(focus);
        task.setExecutionPeriod(period(step, dateOnly));
        return task;
    }

    /** The value used for this patient, in the declared parameter's own unit. */
    private static Extension usedValue(Extension declared, BigDecimal value) {
        Extension used = new Extension(PARAMETER_EXTENSION);
        used.addExtension("name", declared.getExtensionByUrl("name").getValue().copy());
        Type defaultValue = declared.getExtensionByUrl("value").getValue();
        if (defaultValue instanceof Quantity quantity) {
            used.addExtension("value", quantity.copy().setValue(value));
        } else {
            used.addExtension("value", new DecimalType(value));
        }
        used.addExtension("description", new StringType("Set for this patient (pathway default "
                + (defaultValue instanceof Quantity q ? q.getValue().toPlainString() + " " + q.getUnit()
                : defaultValue.primitiveValue()) + ")."));
        return used;
    }

    /** Plain-language list of the activities by phase and date, for people reading the plan. */
    private static Narrative narrative(CarePlan plan, List<Step> steps, SurgeryTime surgery) {
        StringBuilder div = new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
        div.append("<p>").append(escape(plan.getTitle())).append(". Surgery: ")
                .append(escape(spoken(surgery.start(), surgery.dateOnly()))).append(".</p>");
        PlanDefinitionActionComponent phase = null;
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (step.phase() != phase) {
                if (phase != null) {
                    div.append("</ul>");
                }
                phase = step.phase();
                div.append("<h3>").append(escape(phase.getTitle())).append("</h3><ul>");
            }
            CarePlan.CarePlanActivityDetailComponent detail = plan.getActivity().get(i).getDetail();
            div.append("<li>").append(escape(when(step, surgery.dateOnly()))).append(": ")
                    .append(escape(step.action().getTitle()));
            if (detail.getStatus() == CarePlanActivityStatus.CANCELLED) {
                div.append(" (already past when this plan was made: not planned)");
            }
            div.append("</li>");
        }
        if (phase != null) {
            div.append("</ul>");
        }
        div.append("</div>");
        Narrative text = new Narrative();
        text.setStatus(Narrative.NarrativeStatus.GENERATED);
        text.setDivAsString(div.toString());
        return text;
    }

    private static String when(Step step, boolean dateOnly) {
        if (step.fromPlanStart()) {
            return "At the start of the plan (" + spoken(step.start(), true) + ")";
        }
        if (step.recurrence() != null) {
            Timing.TimingRepeatComponent repeat = step.recurrence().getRepeat();
            return "Every " + repeat.getPeriod().stripTrailingZeros().toPlainString() + " "
                    + repeat.getPeriodUnit().getDisplay().toLowerCase(Locale.ENGLISH) + "(s) from "
                    + spoken(step.start(), dateOnly) + " until " + spoken(step.end(), dateOnly);
        }
        if (step.end() != null) {
            return "From " + spoken(step.start(), dateOnly) + " until " + spoken(step.end(), dateOnly);
        }
        return spoken(step.start(), dateOnly);
    }

    private static String spoken(ZonedDateTime at, boolean dateOnly) {
        return dateOnly ? SPOKEN_DATE.format(at) : SPOKEN_DATE.format(at) + " at " + SPOKEN_TIME.format(at);
    }

    private static String escape(String text) {
        return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
