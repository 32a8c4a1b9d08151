package org.carepath.fhir;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServerUtils;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.pathway.CarePlanner;
import org.carepath.pathway.PathwayPlans;
import org.carepath.pathway.Surgery;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Task;

/**
 * PlanDefinition/$apply (type level with {@code url}, instance level): the patient's dated CarePlan
 * with its Tasks contained, computed and returned; nothing is stored. Parameters as in CPG-on-FHIR
 * ($apply), plus {@code surgeryDate}, {@code timezone} and the pathway's own parameters by name
 * (directly, or inside a Parameters resource named {@code parameters}).
 */
public class PlanDefinitionApplyProvider {

    /** $apply's standard parameters; anything else must be a pathway parameter. */
    private static final Set<String> OPERATION_PARAMETERS = Set.of("url", "subject", "encounter", "practitioner",
            "organization", "userType", "userLanguage", "userTaskContext", "setting", "settingContext",
            "surgeryDate", "timezone", "parameters");

    private final FhirContext fhir;
    private final PathwayPlans plans;

    public PlanDefinitionApplyProvider(FhirContext fhir, PathwayPlans plans) {
        this.fhir = fhir;
        this.plans = plans;
    }

    /** Parameter values by name (text), and the nested {@code parameters} resource if any. */
    private record Input(Map<String, List<String>> values, Parameters nested) {

        Optional<String> first(String name) {
            return values.getOrDefault(name, List.of()).stream().filter(v -> v != null && !v.isBlank()).findFirst();
        }
    }

    @Operation(name = "$apply", idempotent = true, type = PlanDefinition.class)
    public CarePlan apply(@IdParam(optional = true) IdType id, RequestDetails request) {
        Input input = input(request);
        PlanDefinition pathway;
        if (id != null && id.hasIdPart()) {
            pathway = plans.byId(id.getIdPart());
        } else {
            pathway = plans.byCanonical(input.first("url").orElseThrow(() -> new InvalidRequestException(
                    "PlanDefinition/$apply needs the PlanDefinition: 'url' at type level, or PlanDefinition/[id]/$apply")));
        }
        Patient patient = plans.patient(input.first("subject").orElse(null));
        Map<String, BigDecimal> overrides = overrides(pathway, input);

        Surgery surgery = null;
        String surgeryDate = input.first("surgeryDate").orElse(null);
        if (surgeryDate == null) {
            surgery = plans.scheduledSurgery(patient.getIdElement().getIdPart()).orElseThrow(() ->
                    new InvalidRequestException("No surgery date: give 'surgeryDate', or record the patient's SI joint"
                            + " fusion as a Procedure with status 'preparation' and the planned date in performed[x]"
                            + " (or as an active ServiceRequest with occurrence[x])"));
            surgeryDate = surgery.date().orElseThrow();
        }
        CarePlanner.Plan plan = plans.plan(pathway, patient, surgeryDate,
                PathwayPlans.zone(input.first("timezone").orElse(null), patient), overrides);
        CarePlan carePlan = plan.carePlan();
        if (surgery != null) {
            carePlan.addSupportingInfo(new Reference(surgery.reference()));
        }
        input.first("encounter").ifPresent(e -> carePlan.setEncounter(new Reference(e)));
        input.first("practitioner").ifPresent(p -> carePlan.setAuthor(new Reference(p)));
        input.first("organization").ifPresent(o -> carePlan.addContributor(new Reference(o)));

        // The Tasks ride along contained; each activity names its Task (activity.reference and
        // activity.detail are exclusive in R4 (cpl-3) and the profile requires detail).
        int n = 1;
        for (CarePlanner.PlannedTask planned : plan.tasks()) {
            Task task = planned.task();
            task.setId("task" + n);
            input.first("practitioner").ifPresent(p -> task.setRequester(new Reference(p)));
            input.first("encounter").ifPresent(e -> task.setEncounter(new Reference(e)));
            carePlan.addContained(task);
            carePlan.getActivity().get(planned.activity()).addOutcomeReference(new Reference("#task" + n));
            n++;
        }
        return carePlan;
    }

    /** Pathway parameter values: named directly, or inside the {@code parameters} resource. */
    private static Map<String, BigDecimal> overrides(PlanDefinition pathway, Input input) {
        Map<String, BigDecimal> overrides = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> entry : input.values().entrySet()) {
            String name = entry.getKey();
            if (OPERATION_PARAMETERS.contains(name) || name.startsWith("_")) {
                continue;
            }
            overrides.put(name, number(name, entry.getValue().get(0)));
        }
        if (input.nested() != null) {
            for (ParametersParameterComponent p : input.nested().getParameter()) {
                overrides.put(p.getName(), number(p.getName(), text(p)));
            }
        }
        return overrides;
    }

    private static BigDecimal number(String name, String value) {
        try {
            return new BigDecimal(value.trim());
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Parameter '" + name + "' must be a number (in the unit the pathway"
                    + " declares for it), or is not a parameter of $apply: " + value);
        }
    }

    private Input input(RequestDetails request) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        Parameters nested = null;
        if (request.getRequestType() == RequestTypeEnum.GET) {
            request.getParameters().forEach((name, given) -> values.put(name, List.of(given)));
            return new Input(values, null);
        }
        byte[] body = request.loadRequestContents();
        if (body == null || body.length == 0) {
            return new Input(values, null);
        }
        EncodingEnum encoding = RestfulServerUtils.determineRequestEncodingNoDefault(request);
        IBaseResource parsed;
        try {
            parsed = (encoding == null ? EncodingEnum.JSON : encoding).newParser(fhir)
                    .parseResource(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (ca.uhn.fhir.parser.DataFormatException e) {
            throw new InvalidRequestException("Invalid Parameters resource: " + e.getMessage());
        }
        if (!(parsed instanceof Parameters parameters)) {
            throw new InvalidRequestException("POST PlanDefinition/$apply takes a Parameters resource");
        }
        for (ParametersParameterComponent p : parameters.getParameter()) {
            if ("parameters".equals(p.getName()) && p.getResource() instanceof Parameters inner) {
                nested = inner;
            } else {
                values.computeIfAbsent(p.getName(), k -> new ArrayList<>()).add(text(p));
            }
        }
        // query parameters (url, subject) may also come with a POST
        request.getParameters().forEach((name, given) -> values.putIfAbsent(name, List.of(given)));
        return new Input(values, nested);
    }

    /** A parameter's value as text: primitives as written, references by their reference, quantities by number. */
    private static String text(ParametersParameterComponent p) {
        if (p.getValue() instanceof Reference reference) {
            return reference.getReference();
        }
        if (p.getValue() instanceof Quantity quantity) {
            return quantity.getValue() == null ? null : quantity.getValue().toPlainString();
        }
        if (p.getValue() instanceof IPrimitiveType<?> primitive) {
            return primitive.getValueAsString();
        }
        if (p.getValue() instanceof org.hl7.fhir.r4.model.CodeableConcept concept) {
            return concept.hasText() ? concept.getText() : concept.getCodingFirstRep().getCode();
        }
        return null;
    }
}
