package org.carepath.interaction;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.ElementDefinition;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.StructureDefinition;

/**
 * The lexical rules of FHIR's primitive types, as the core StructureDefinitions state them (the
 * regex extension on each type's {@code value}). HAPI's parser leaves many unchecked: a dateTime
 * with a time but no zone, a uri with spaces, a positiveInt of 0, an unsignedInt below 0.
 */
final class PrimitiveSyntax {

    private static final String REGEX_EXTENSION = "http://hl7.org/fhir/StructureDefinition/regex";
    /** Free text and binary: any length, and their rules say nothing a client gets wrong. */
    private static final Set<String> UNCHECKED = Set.of("string", "markdown", "xhtml", "base64Binary");
    /** Rules without repeated groups, safe at any length; the others are matched on short values only. */
    private static final Set<String> ANY_LENGTH = Set.of("uri", "url", "canonical");
    private static final int MAX_SHORT_VALUE = 1_000;

    private final FhirContext fhir;
    private final Map<String, Optional<Pattern>> rules = new ConcurrentHashMap<>();

    PrimitiveSyntax(FhirContext fhir) {
        this.fhir = fhir;
    }

    /** Refuses a primitive value its type's rule does not allow. */
    void check(IPrimitiveType<?> primitive, String value) {
        if (primitive instanceof IdType) {
            return; // resource ids are checked where the interaction takes them, with the URL's
        }
        String type = primitive.fhirType();
        if (type == null || UNCHECKED.contains(type)) {
            return;
        }
        Optional<Pattern> rule = rules.computeIfAbsent(type, this::rule);
        if (rule.isEmpty()) {
            return;
        }
        if (value.length() > MAX_SHORT_VALUE && !ANY_LENGTH.contains(type)) {
            throw new InvalidRequestException("Invalid " + type + ": " + value.length() + " characters is too long");
        }
        if (!rule.get().matcher(value).matches()) {
            throw new InvalidRequestException("Invalid " + type + " '" + abbreviate(value) + "': it does not follow"
                    + " the FHIR " + type + " format");
        }
        if ("decimal".equals(type)) {
            checkRange(value);
        }
    }

    private static void checkRange(String value) {
        java.math.BigDecimal number = new java.math.BigDecimal(value);
        long exponent = number.signum() == 0 ? 0 : (long) number.precision() - number.scale() - 1;
        if (Math.abs(exponent) > ResourceCodec.MAX_DECIMAL_EXPONENT) {
            throw new InvalidRequestException("Number out of range: '" + abbreviate(value) + "'");
        }
    }

    private Optional<Pattern> rule(String type) {
        var definition = fhir.getValidationSupport() == null ? null
                : fhir.getValidationSupport().fetchStructureDefinition("http://hl7.org/fhir/StructureDefinition/" + type);
        if (!(definition instanceof StructureDefinition sd)) {
            return Optional.empty();
        }
        for (ElementDefinition element : sd.getSnapshot().getElement()) {
            if (element.getPath().equals(type + ".value")) {
                for (ElementDefinition.TypeRefComponent t : element.getType()) {
                    Extension regex = t.getExtensionByUrl(REGEX_EXTENSION);
                    if (regex != null && regex.getValue() != null) {
                        return Optional.of(Pattern.compile(regex.getValue().primitiveValue()));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "...";
    }
}
