package org.carepath.fhir;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.model.valueset.BundleTypeEnum;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.carepath.interaction.ResourceInteractions;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;

/**
 * Patient/[id]/$everything and Patient/$everything: the patient and every resource in its
 * compartment (what the R4 CompartmentDefinition for Patient names), paged like a search.
 */
class PatientEverythingProvider {

    /** The operation's parameters and those HAPI applies to every response. */
    private static final Set<String> KNOWN = Set.of("_since", "_type", "_count", "_format", "_pretty", "_summary",
            "_elements");

    private final ResourceInteractions interactions;
    private final SearchResults searches;

    PatientEverythingProvider(ResourceInteractions interactions, SearchResults searches) {
        this.interactions = interactions;
        this.searches = searches;
    }

    @Description(shortDefinition = "The patient and every resource in its compartment, with the practitioners,"
            + " organizations, medications and definitions they refer to; without an id, every patient's")
    @Operation(name = "$everything", idempotent = true, type = Patient.class, bundleType = BundleTypeEnum.SEARCHSET)
    public IBundleProvider everything(
            @IdParam(optional = true) IdType id,
            @Description(shortDefinition = "Only resources last updated at or after this instant")
            @OperationParam(name = "_since", typeName = "instant", max = 1) IPrimitiveType<Date> since,
            @Description(shortDefinition = "Only resources of these types (comma-separated or repeated)")
            @OperationParam(name = "_type", typeName = "string", max = OperationParam.MAX_UNLIMITED)
            List<IPrimitiveType<String>> types,
            @Description(shortDefinition = "Resources per page")
            @OperationParam(name = "_count", typeName = "unsignedInt", max = 1) IPrimitiveType<Integer> count,
            RequestDetails request) {
        String patient = id != null && id.hasIdPart() ? id.getIdPart() : null;
        if (patient != null) {
            interactions.readStored("Patient", patient); // 404 for an unknown patient, 410 for a deleted one
        }
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (since != null && since.getValue() != null) {
            query.put("_since", List.of(since.getValueAsString()));
        }
        if (types != null) {
            List<String> names = new ArrayList<>();
            types.stream().filter(t -> t != null && t.getValue() != null).forEach(t -> names.add(t.getValue()));
            if (!names.isEmpty()) {
                query.put("_type", names);
            }
        }
        if (count != null && count.getValue() != null) {
            query.put("_count", List.of(count.getValue().toString()));
        }
        List<String> unknown = request.getParameters().keySet().stream().filter(n -> !KNOWN.contains(n)).sorted().toList();
        return searches.everything(patient, query, unknown, request);
    }
}
