package org.carepath.monitoring;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * What a rule looked at: the written resource and the stored ones the facts came from (the
 * baseline, the lowest score since surgery, the response an Observation was derived from).
 */
final class Evidence {

    private static final Pattern LINK_ID = Pattern.compile("linkId\\s*=\\s*'([^']+)'");

    private Evidence() {
    }

    /** When the evidence was recorded: authored, effective or issued, else now. */
    static Instant time(Resource resource) {
        if (resource instanceof QuestionnaireResponse qr && qr.hasAuthored()) {
            return qr.getAuthored().toInstant();
        }
        if (resource instanceof Observation o) {
            if (o.hasEffectiveDateTimeType() && o.getEffectiveDateTimeType().getValue() != null) {
                return o.getEffectiveDateTimeType().getValue().toInstant();
            }
            if (o.hasEffectivePeriod() && o.getEffectivePeriod().hasStart()) {
                return o.getEffectivePeriod().getStart().toInstant();
            }
            if (o.hasEffectiveInstantType()) {
                return o.getEffectiveInstantType().getValue().toInstant();
            }
            if (o.hasIssued()) {
                return o.getIssued().toInstant();
            }
        }
        return Instant.now();
    }

    /** The number an Observation records (Quantity value, integer), or null. */
    static BigDecimal number(Observation observation) {
        if (observation.getValue() instanceof Quantity q && q.hasValue()) {
            return q.getValue();
        }
        if (observation.getValue() instanceof IntegerType i && i.getValue() != null) {
            return BigDecimal.valueOf(i.getValue());
        }
        return null;
    }

    static boolean isFinal(Observation observation) {
        return switch (observation.getStatus()) {
            case FINAL, AMENDED, CORRECTED -> true;
            default -> false;
        };
    }

    /**
     * A fingerprint of the evidence's clinical content: equal for the same answers sent twice (as
     * a new response or an unchanged update), different for another day's answers. Ids, meta,
     * narrative, identifiers and links to other resources are left out.
     */
    static String fingerprint(FhirContext fhir, String ruleId, String patient, Resource evidence) {
        Resource copy = evidence.copy();
        copy.setId((String) null);
        copy.setMeta(null);
        if (copy instanceof DomainResource domain) {
            domain.setText(null);
        }
        if (copy instanceof Observation o) {
            o.setIdentifier(null);
            o.setDerivedFrom(null);
            o.setBasedOn(null);
        }
        if (copy instanceof QuestionnaireResponse qr) {
            qr.setIdentifier(null);
            qr.setBasedOn(null);
        }
        String content = ruleId + "\n" + patient + "\n" + fhir.newJsonParser().encodeResourceToString(copy);
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
            return ruleId + "-" + HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Plain words for a basis entry: the answers the rule's expressions name, or the Observation's value. */
    static String describe(Resource resource, RiskRule rule) {
        if (resource instanceof QuestionnaireResponse qr) {
            Set<String> linkIds = new LinkedHashSet<>();
            List<String> expressions = new ArrayList<>(rule.conditions());
            rule.triggers().stream().map(RiskRule.Trigger::condition).filter(c -> c != null).forEach(expressions::add);
            for (String expression : expressions) {
                Matcher m = LINK_ID.matcher(expression);
                while (m.find()) {
                    linkIds.add(m.group(1));
                }
            }
            List<String> parts = new ArrayList<>();
            for (var item : qr.getItem()) {
                if (linkIds.contains(item.getLinkId()) && item.hasAnswer()) {
                    var value = item.getAnswerFirstRep().getValue();
                    String text = value instanceof org.hl7.fhir.r4.model.BooleanType b
                            ? (Boolean.TRUE.equals(b.getValue()) ? "yes" : "no") : value.primitiveValue();
                    parts.add(item.getLinkId() + ": " + text);
                }
            }
            return "Answers of " + (qr.hasAuthored() ? qr.getAuthoredElement().getValueAsString() : "unknown date")
                    + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
        }
        if (resource instanceof Observation o) {
            String name = o.getCode().hasText() ? o.getCode().getText()
                    : o.getCode().getCodingFirstRep().hasDisplay() ? o.getCode().getCodingFirstRep().getDisplay()
                    : o.getCode().getCodingFirstRep().getCode();
            BigDecimal value = number(o);
            String unit = o.getValue() instanceof Quantity q && q.hasUnit() ? " " + q.getUnit() : "";
            return name + ": " + (value == null ? "no value" : value.toPlainString() + unit) + " on "
                    + (o.hasEffectiveDateTimeType() ? o.getEffectiveDateTimeType().getValueAsString() : "unknown date");
        }
        return resource.fhirType();
    }

    static Reference reference(Resource resource, RiskRule rule) {
        return new Reference(resource.fhirType() + "/" + resource.getIdElement().getIdPart())
                .setDisplay(describe(resource, rule));
    }
}
