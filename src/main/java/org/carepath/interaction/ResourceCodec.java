package org.carepath.interaction;

import java.util.Date;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.LenientErrorHandler;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
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

    private final FhirContext fhir;
    private final PrimitiveSyntax syntax;

    public ResourceCodec(FhirContext fhir) {
        this.fhir = fhir;
        this.syntax = new PrimitiveSyntax(fhir);
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
        return resource;
    }

    /**
     * The JSON text a resource was decoded from: what encoding it again would give, as the store
     * keeps what {@link #encode} wrote. Whoever changes a decoded resource must not answer with it.
     */
    public static java.util.Optional<String> storedJson(IBaseResource resource) {
        return resource.getUserData(STORED_JSON) instanceof String json
                ? java.util.Optional.of(json) : java.util.Optional.empty();
    }

    /** Stamps the identity and version a write gives the resource. */
    public void stamp(IBaseResource resource, String type, String id, int version, java.time.Instant lastUpdated) {
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
