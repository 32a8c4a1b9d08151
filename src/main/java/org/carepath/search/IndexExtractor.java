package org.carepath.search;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import ca.uhn.fhir.fhirpath.IFhirPathEvaluationContext;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Enumeration;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Range;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Timing;
import org.hl7.fhir.r4.model.UriType;
import org.springframework.stereotype.Component;

/**
 * Extracts the index values of a resource: every search parameter's FHIRPath expression is
 * evaluated and its results turned into rows of the table for the parameter's type.
 */
@Component
public class IndexExtractor {

    /** Bounds for open-ended periods; PostgreSQL's infinity does not round-trip through JDBC. */
    static final Instant MIN = LocalDate.of(1, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
    static final Instant MAX = LocalDate.of(9999, 12, 31).atStartOfDay(ZoneOffset.UTC).toInstant();
    /** Index entries are bounded in size; longer text is indexed by its beginning. */
    private static final int MAX_INDEXED_TEXT = 500;

    private final SearchParameters parameters;
    private final ThreadLocal<IFhirPath> fhirPath;

    public IndexExtractor(FhirContext fhir, SearchParameters parameters) {
        this.parameters = parameters;
        this.fhirPath = ThreadLocal.withInitial(() -> {
            IFhirPath path = fhir.newFhirPath();
            path.setEvaluationContext(new ReferenceTypeContext(fhir));
            return path;
        });
    }

    IndexRows extract(String type, IBaseResource resource) {
        IndexRows rows = new IndexRows();
        IFhirPath path = fhirPath.get();
        for (SearchParam param : parameters.forResourceType(type)) {
            List<IBase> values;
            try {
                values = path.evaluate(resource, parameters.parsed(param), IBase.class);
            } catch (RuntimeException e) {
                continue; // an expression that does not apply to this content indexes nothing
            }
            for (IBase value : values) {
                add(rows, param, value);
            }
        }
        return rows;
    }

    private static void add(IndexRows rows, SearchParam param, IBase value) {
        String name = param.name();
        switch (param.type()) {
            case STRING -> strings(value).forEach(s -> rows.strings.add(
                    new IndexRows.Str(name, s, clip(TextNormalizer.normalize(s)))));
            case TOKEN -> tokens(rows, name, value);
            case DATE -> {
                Instant[] range = dateRange(value);
                if (range != null) {
                    rows.dates.add(new IndexRows.Date(name, range[0], range[1]));
                }
            }
            case NUMBER -> {
                if (value instanceof DecimalType d && d.getValue() != null) {
                    rows.numbers.add(new IndexRows.Num(name, d.getValue()));
                } else if (value instanceof IntegerType i && i.getValue() != null) {
                    rows.numbers.add(new IndexRows.Num(name, BigDecimal.valueOf(i.getValue())));
                }
            }
            case QUANTITY -> {
                if (value instanceof Quantity q && q.getValue() != null) {
                    rows.quantities.add(new IndexRows.Quantity(name, q.getValue(), q.getSystem(),
                            q.hasCode() ? q.getCode() : q.getUnit()));
                } else if (value instanceof Range r && r.getLow().getValue() != null) {
                    Quantity low = r.getLow();
                    rows.quantities.add(new IndexRows.Quantity(name, low.getValue(), low.getSystem(),
                            low.hasCode() ? low.getCode() : low.getUnit()));
                }
            }
            case REFERENCE -> reference(rows, name, value);
            case URI -> {
                if (value instanceof PrimitiveType<?> p && p.getValueAsString() != null) {
                    rows.uris.add(new IndexRows.Uri(name, clip(p.getValueAsString())));
                }
            }
            default -> { }
        }
    }

    private static List<String> strings(IBase value) {
        if (value instanceof HumanName n) {
            var parts = new java.util.ArrayList<String>();
            if (n.hasFamily()) parts.add(n.getFamily());
            n.getGiven().forEach(g -> parts.add(g.getValue()));
            n.getPrefix().forEach(p -> parts.add(p.getValue()));
            n.getSuffix().forEach(p -> parts.add(p.getValue()));
            if (n.hasText()) parts.add(n.getText());
            return parts.stream().filter(s -> s != null && !s.isBlank()).toList();
        }
        if (value instanceof Address a) {
            var parts = new java.util.ArrayList<String>();
            a.getLine().forEach(l -> parts.add(l.getValue()));
            for (String s : new String[] {a.getCity(), a.getDistrict(), a.getState(), a.getPostalCode(),
                    a.getCountry(), a.getText()}) {
                parts.add(s);
            }
            return parts.stream().filter(s -> s != null && !s.isBlank()).toList();
        }
        if (value instanceof PrimitiveType<?> p && p.getValueAsString() != null) {
            return List.of(p.getValueAsString());
        }
        return List.of();
    }

    private static void tokens(IndexRows rows, String name, IBase value) {
        if (value instanceof CodeableConcept cc) {
            for (Coding c : cc.getCoding()) {
                rows.tokens.add(new IndexRows.Token(name, c.getSystem(), c.getCode(), display(c.getDisplay())));
            }
            if (cc.hasText()) {
                rows.tokens.add(new IndexRows.Token(name, null, null, display(cc.getText())));
            }
        } else if (value instanceof Coding c) {
            rows.tokens.add(new IndexRows.Token(name, c.getSystem(), c.getCode(), display(c.getDisplay())));
        } else if (value instanceof Identifier id) {
            rows.tokens.add(new IndexRows.Token(name, id.getSystem(), id.getValue(),
                    id.getType().hasText() ? display(id.getType().getText()) : null));
            if (id.hasValue()) {
                for (Coding type : id.getType().getCoding()) {
                    if (type.hasCode()) {
                        rows.tokens.add(new IndexRows.Token(derivedName(name, "of-type"),
                                identifierType(type.getSystem(), type.getCode()), id.getValue(), null));
                    }
                }
            }
        } else if (value instanceof ContactPoint cp) {
            rows.tokens.add(new IndexRows.Token(name, cp.hasSystem() ? cp.getSystem().toCode() : null,
                    cp.getValue(), null));
        } else if (value instanceof Enumeration<?> e && e.getValueAsString() != null) {
            rows.tokens.add(new IndexRows.Token(name, e.getSystem(), e.getValueAsString(), null));
        } else if (value instanceof BooleanType b && b.getValue() != null) {
            rows.tokens.add(new IndexRows.Token(name, null, b.getValueAsString(), null));
        } else if (value instanceof PrimitiveType<?> p && p.getValueAsString() != null) {
            rows.tokens.add(new IndexRows.Token(name, null, clip(p.getValueAsString()), null));
        }
    }

    /**
     * The index name of what a modifier searches, when it is not the parameter's own values:
     * {@code identifier:of-type} (identifier type and value) and {@code subject:identifier}
     * (Reference.identifier). Parameter names never contain ':', so these never collide.
     */
    static String derivedName(String param, String modifier) {
        return param + ":" + modifier;
    }

    /** The system column of an :of-type row: the type coding, as system|code. */
    static String identifierType(String system, String code) {
        return (system == null ? "" : system) + "|" + code;
    }

    private static void reference(IndexRows rows, String name, IBase value) {
        if (value instanceof Reference ref && ref.hasIdentifier() && ref.getIdentifier().hasValue()) {
            Identifier id = ref.getIdentifier();
            rows.tokens.add(new IndexRows.Token(derivedName(name, "identifier"), id.getSystem(), id.getValue(), null));
        }
        if (value instanceof Reference ref && ref.hasReference()) {
            String text = ref.getReference();
            if (text.startsWith("#")) {
                return; // contained: not a searchable target
            }
            IIdType id = ref.getReferenceElement();
            if (id.isAbsolute() || text.startsWith("urn:")) {
                rows.references.add(new IndexRows.Ref(name, id.getResourceType(), id.getIdPart(), clip(text)));
            } else if (id.hasResourceType() && id.hasIdPart()) {
                rows.references.add(new IndexRows.Ref(name, id.getResourceType(), id.getIdPart(), null));
            }
        } else if (value instanceof CanonicalType c && c.getValue() != null) {
            String url = c.getValue();
            int bar = url.indexOf('|');
            rows.references.add(new IndexRows.Ref(name, null, null, clip(bar < 0 ? url : url.substring(0, bar))));
            if (bar >= 0) {
                rows.references.add(new IndexRows.Ref(name, null, null, clip(url)));
            }
        } else if (value instanceof UriType u && u.getValue() != null) {
            rows.references.add(new IndexRows.Ref(name, null, null, clip(u.getValue())));
        }
    }

    /** The instants a date-like value covers, inclusive at both ends (to the microsecond). */
    static Instant[] dateRange(IBase value) {
        if (value instanceof BaseDateTimeType dt && dt.getValue() != null) {
            return new Instant[] {start(dt), end(dt)};
        }
        if (value instanceof Period p) {
            Instant low = p.hasStart() ? start(p.getStartElement()) : MIN;
            Instant high = p.hasEnd() ? end(p.getEndElement()) : MAX;
            return p.hasStart() || p.hasEnd() ? new Instant[] {low, high} : null;
        }
        if (value instanceof Timing t) {
            Instant low = null;
            Instant high = null;
            for (DateTimeType event : t.getEvent()) {
                if (event.getValue() == null) continue;
                Instant s = start(event);
                Instant e = end(event);
                low = low == null || s.isBefore(low) ? s : low;
                high = high == null || e.isAfter(high) ? e : high;
            }
            if (t.getRepeat().hasBoundsPeriod()) {
                Instant[] bounds = dateRange(t.getRepeat().getBoundsPeriod());
                if (bounds != null) {
                    low = low == null || bounds[0].isBefore(low) ? bounds[0] : low;
                    high = high == null || bounds[1].isAfter(high) ? bounds[1] : high;
                }
            }
            return low == null ? null : new Instant[] {low, high};
        }
        return null;
    }

    /**
     * The first instant of a date, dateTime or instant. A date without a time is a UTC day: FHIR
     * leaves its zone to the server, and this server keeps UTC.
     */
    static Instant start(BaseDateTimeType dt) {
        TemporalPrecisionEnum precision = dt.getPrecision();
        return switch (precision) {
            case YEAR -> LocalDate.of(dt.getYear(), 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
            case MONTH -> LocalDate.of(dt.getYear(), dt.getMonth() + 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
            case DAY -> LocalDate.of(dt.getYear(), dt.getMonth() + 1, dt.getDay()).atStartOfDay(ZoneOffset.UTC).toInstant();
            default -> dt.getValue().toInstant();
        };
    }

    static Instant end(BaseDateTimeType dt) {
        Instant start = start(dt);
        Instant next = switch (dt.getPrecision()) {
            case YEAR -> start.atZone(ZoneOffset.UTC).plusYears(1).toInstant();
            case MONTH -> start.atZone(ZoneOffset.UTC).plusMonths(1).toInstant();
            case DAY -> start.plus(1, ChronoUnit.DAYS);
            case MINUTE -> start.plus(1, ChronoUnit.MINUTES);
            case SECOND -> start.plus(1, ChronoUnit.SECONDS);
            default -> start.plus(1, ChronoUnit.MILLIS);
        };
        return next.minus(1, ChronoUnit.MICROS);
    }

    private static String display(String text) {
        return text == null ? null : clip(TextNormalizer.normalize(text));
    }

    private static String clip(String text) {
        return text.length() <= MAX_INDEXED_TEXT ? text : text.substring(0, MAX_INDEXED_TEXT);
    }

    /**
     * Lets expressions such as {@code subject.where(resolve() is Patient)} test the type a
     * reference names without loading the target.
     */
    private record ReferenceTypeContext(FhirContext fhir) implements IFhirPathEvaluationContext {
        @Override
        public IBase resolveReference(IIdType reference, IBase context) {
            String type = reference.getResourceType();
            if (type == null || fhir.getResourceTypes().stream().noneMatch(type::equals)) {
                return null;
            }
            IBaseResource target = fhir.getResourceDefinition(type).newInstance();
            target.setId(reference);
            return target;
        }
    }
}
