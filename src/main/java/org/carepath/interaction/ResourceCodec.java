package org.carepath.interaction;

import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.auth.CompartmentSearchParameterModifications;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.LenientErrorHandler;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.search.SearchParameters;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.stereotype.Component;

/** Turns resources into the JSON the store keeps, and back. */
@Component
public class ResourceCodec {

    /**
     * A decimal's power of ten, at most, in what is stored and in JSON request bodies: far beyond
     * any measured quantity, and within PostgreSQL's numeric (the search index).
     */
    public static final int MAX_DECIMAL_EXPONENT = 1_000;

    /** User data of a decoded resource: the stored JSON text it was parsed from. */
    private static final String STORED_JSON = ResourceCodec.class.getName() + ".storedJson";
    /** User data of a resource: the ids of the patients whose compartment holds it, when known. */
    private static final String PATIENT_IDS = ResourceCodec.class.getName() + ".patientIds";
    /** User data of a resource that stands for a stored version whose text was not parsed: that row. */
    private static final String UNPARSED = ResourceCodec.class.getName() + ".unparsed";

    /**
     * User data of a request (HAPI's RequestDetails) whose response resources something reads
     * (authorization by patient compartment): they are parsed, never left {@link #unparsed}.
     */
    public static final String PARSED_RESPONSE = ResourceCodec.class.getName() + ".parsedResponse";

    private final FhirContext fhir;
    private final PrimitiveSyntax syntax;
    /** R4's Patient compartment as CarePath modifies it (a patient's Tasks). */
    private final CompartmentSearchParameterModifications compartmentModifications;

    public ResourceCodec(FhirContext fhir, SearchParameters parameters) {
        this.fhir = fhir;
        this.syntax = new PrimitiveSyntax(fhir);
        this.compartmentModifications = parameters.compartmentModifications("Patient");
    }

    public FhirContext fhir() {
        return fhir;
    }

    /** The stored JSON; content the strict encoder refuses (a '#' reference to nothing contained) is a 400. */
    public String encode(IBaseResource resource) {
        try {
            return fhir.newJsonParser().encodeResourceToString(resource);
        } catch (ca.uhn.fhir.parser.DataFormatException e) {
            throw new InvalidRequestException("Invalid FHIR content: " + e.getMessage());
        }
    }

    /** Parses a stored version; stored content was checked on the way in, so parse leniently. */
    public IBaseResource decode(StoredResource stored) {
        IParser parser = fhir.newJsonParser().setParserErrorHandler(new LenientErrorHandler(false));
        IBaseResource resource = parser.parseResource(stored.json());
        resource.setId(new IdType(stored.type(), stored.id(), Integer.toString(stored.version())));
        resource.setUserData(STORED_JSON, stored.json());
        resource.setUserData(PATIENT_IDS, stored.patientIds());
        return resource;
    }

    /**
     * A stored version without its content: an empty resource of its type with its id, version
     * and last update, the stored text and the patients whose compartment holds it. For answers
     * made of the stored text alone (parsing a body was the largest part of a read's CPU);
     * {@link #parsed} gives the content when it is needed after all.
     */
    public IBaseResource unparsed(StoredResource stored) {
        IBaseResource resource = fhir.getResourceDefinition(stored.type()).newInstance();
        identify(resource, stored.type(), stored.id(), stored.version(), stored.lastUpdated());
        resource.setUserData(STORED_JSON, stored.json());
        resource.setUserData(PATIENT_IDS, stored.patientIds());
        resource.setUserData(UNPARSED, stored);
        return resource;
    }

    public static boolean isUnparsed(IBaseResource resource) {
        return resource.getUserData(UNPARSED) != null;
    }

    /** The resource with its content: an {@link #unparsed} one parsed from its stored text, any other as it is. */
    public IBaseResource parsed(IBaseResource resource) {
        return resource.getUserData(UNPARSED) instanceof StoredResource row ? decode(row) : resource;
    }

    /**
     * The ids of the patients whose compartment holds the resource: a Patient's own id, or the
     * patients its compartment references name (R4's Patient compartment with CarePath's
     * additions, walked by HAPI's terser); kept from the store when the resource came from there.
     */
    public List<String> patientIds(IBaseResource resource) {
        if (resource.getUserData(PATIENT_IDS) instanceof List<?> known) {
            return known.stream().map(String.class::cast).toList();
        }
        return compartmentPatientIds(resource);
    }

    /** The patients of {@link #patientIds}, walked from the content. */
    private List<String> compartmentPatientIds(IBaseResource resource) {
        String type = fhir.getResourceType(resource);
        if (type.equals("Patient")) {
            return resource.getIdElement().hasIdPart() ? List.of(resource.getIdElement().getIdPart()) : List.of();
        }
        if (compartmentModifications.getAdditionalSearchParamNamesForResourceType(type).isEmpty()
                && fhir.getResourceDefinition(type).getSearchParamsForCompartmentName("Patient").isEmpty()) {
            return List.of();
        }
        Set<String> ids = new LinkedHashSet<>();
        // with the modifications, not a Set of names: HAPI 8.8.1 files such a Set under the
        // compartment's type (Patient), so additions to other types were never applied
        for (IIdType owner : fhir.newTerser().getCompartmentOwnersForResource("Patient", resource, compartmentModifications)) {
            // the terser returns every reference of the compartment's parameters (Observation.performer
            // may be a Practitioner): only those to a Patient name one
            if ("Patient".equals(owner.getResourceType()) && owner.hasIdPart() && !owner.getIdPart().startsWith("#")) {
                ids.add(owner.getIdPart());
            }
        }
        return List.copyOf(ids);
    }

    /**
     * The JSON text a resource was decoded from: what encoding it again would give, as the store
     * keeps what {@link #encode} wrote. Whoever changes a decoded resource must not answer with it.
     */
    public static java.util.Optional<String> storedJson(IBaseResource resource) {
        return resource.getUserData(STORED_JSON) instanceof String json
                ? java.util.Optional.of(json) : java.util.Optional.empty();
    }

    /**
     * Stamps the identity and version a write gives the resource, with the patients of the content
     * written (stored with it, and named by the audit trail of the write).
     */
    public void stamp(IBaseResource resource, String type, String id, int version, java.time.Instant lastUpdated) {
        identify(resource, type, id, version, lastUpdated);
        resource.setUserData(PATIENT_IDS, compartmentPatientIds(resource));
    }

    private static void identify(IBaseResource resource, String type, String id, int version, java.time.Instant lastUpdated) {
        resource.setId(new IdType(type, id, Integer.toString(version)));
        resource.getMeta().setVersionId(Integer.toString(version));
        resource.getMeta().setLastUpdated(Date.from(lastUpdated));
    }

    /**
     * FHIR strings may not hold control characters other than tab, carriage return and line feed
     * (R4 datatypes, string); PostgreSQL's jsonb cannot hold U+0000 at all. Say so instead of
     * storing them or failing in the database. Every other primitive must follow its type's rule.
     */
    public void rejectUnstorableText(IBaseResource resource) {
        for (IPrimitiveType<?> primitive : fhir.newTerser().getAllPopulatedChildElementsOfType(resource, IPrimitiveType.class)) {
            String value = primitive.getValueAsString();
            if (value == null) {
                continue;
            }
            if (value.indexOf('\u0000') >= 0) {
                throw new InvalidRequestException("Text values must not contain the NUL character (U+0000)");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
                    throw new InvalidRequestException("Text values must not contain control characters (U+"
                            + String.format("%04X", (int) c) + "): FHIR strings allow only tab, carriage return and line feed");
                }
            }
            syntax.check(primitive, value);
        }
    }
}
