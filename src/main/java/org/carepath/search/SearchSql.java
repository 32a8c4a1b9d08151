package org.carepath.search;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.hl7.fhir.r4.model.DateTimeType;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * Translates criteria into SQL over the index tables. Every value is a bind parameter; only
 * names this class chooses itself are written into the SQL text.
 */
final class SearchSql {

    private static final java.util.regex.Pattern ZONED = java.util.regex.Pattern.compile("(Z|[+-]\\d{2}:\\d{2})$");
    /** Digits before or after the decimal point a search number may have. */
    private static final int MAX_DIGITS = 1000;

    final MapSqlParameterSource params;
    private final List<String> conditions = new ArrayList<>();
    private final String alias;
    private final List<String> types;
    private final String typeBind;
    private final int[] next;

    /** A search over resources of one or more types, which the SQL calls {@code r}. */
    SearchSql(List<String> types) {
        this(new MapSqlParameterSource(), new int[1], "r", types);
    }

    private SearchSql(MapSqlParameterSource params, int[] next, String alias, List<String> types) {
        if (types.isEmpty()) {
            throw new IllegalArgumentException("A search needs at least one resource type");
        }
        this.params = params;
        this.next = next;
        this.alias = alias;
        this.types = types;
        this.typeBind = types.size() == 1 ? bind(types.get(0)) : bindList(types);
    }

    /** A nested search (a chain's target, a _has source) sharing this one's parameters. */
    private SearchSql nested(String type) {
        return new SearchSql(params, next, "r" + next[0]++, List.of(type));
    }

    /** The conditions joined with AND, each starting with " AND ". */
    String where() {
        return conditions.isEmpty() ? "" : " AND " + String.join(" AND ", conditions);
    }

    /** The column holds one of the searched types, e.g. "r.res_type = :p0". */
    String typeIs(String column) {
        return types.size() == 1 ? column + " = " + typeBind : column + " IN (" + typeBind + ")";
    }

    void add(Criterion c) {
        if (c.chain() != null) {
            conditions.add(chainCondition(c));
            return;
        }
        if (c.has() != null) {
            conditions.add(hasCondition(c));
            return;
        }
        if (c.name().equals("_compartment")) {
            conditions.add(compartmentCondition(c));
            return;
        }
        if (c.name().equals("_id")) {
            if (c.modifier() != null && !c.modifier().equals("not")) {
                throw unsupportedModifier(c.modifier(), "_id");
            }
            conditions.add(negate(c, alias + ".res_id IN (" + bindList(c.values().stream().map(SearchSql::unescape).toList()) + ")"));
            return;
        }
        if (c.name().equals("_lastUpdated")) {
            if (c.modifier() != null) {
                throw unsupportedModifier(c.modifier(), "_lastUpdated");
            }
            List<String> ors = new ArrayList<>();
            for (String v : c.values()) {
                ors.add(dateCondition(v, alias + ".last_updated", alias + ".last_updated"));
            }
            conditions.add("(" + String.join(" OR ", ors) + ")");
            return;
        }
        if ("of-type".equals(c.modifier()) || "identifier".equals(c.modifier())) {
            conditions.add(derivedTokenCondition(c));
            return;
        }
        String table = table(c.param());
        if ("missing".equals(c.modifier())) {
            boolean missing = parseBoolean(c.values().get(0));
            conditions.add(alias + ".res_key " + (missing ? "NOT IN" : "IN") + " (SELECT i.res_key FROM " + table
                    + " i WHERE " + typeIs("i.res_type") + " AND i.param = " + bind(c.name()) + ")");
            return;
        }
        List<String> ors = new ArrayList<>();
        for (String value : c.values()) {
            ors.add(valueCondition(c, value));
        }
        String match = "(SELECT i.res_key FROM " + table + " i WHERE " + typeIs("i.res_type") + " AND i.param = "
                + bind(c.name()) + " AND (" + String.join(" OR ", ors) + "))";
        conditions.add(alias + ".res_key " + ("not".equals(c.modifier()) ? "NOT IN " : "IN ") + match);
    }

    /**
     * identifier:of-type=system|code|value (an identifier of that type with that value) and
     * subject:identifier=system|value (a reference by business identifier) match the token rows
     * the extractor writes for them under derived names.
     */
    private String derivedTokenCondition(Criterion c) {
        boolean ofType = c.modifier().equals("of-type");
        if (c.param().type() != (ofType ? RestSearchParameterTypeEnum.TOKEN : RestSearchParameterTypeEnum.REFERENCE)) {
            throw unsupportedModifier(c.modifier(), c.param().type().getCode());
        }
        List<String> ors = new ArrayList<>();
        for (String value : c.values()) {
            if (!ofType) {
                ors.add(tokenCondition(null, value));
                continue;
            }
            List<String> parts = splitUnescaped(value, '|');
            if (parts.size() != 3 || parts.get(1).isEmpty() || parts.get(2).isEmpty()) {
                throw new InvalidRequestException(":of-type takes system|code|value (a type coding of the identifier,"
                        + " then its value), not '" + value + "'");
            }
            ors.add("(i.code = " + bind(parts.get(2)) + " AND i.system = "
                    + bind(IndexExtractor.identifierType(parts.get(0), parts.get(1))) + ")");
        }
        return alias + ".res_key IN (SELECT i.res_key FROM idx_token i WHERE " + typeIs("i.res_type") + " AND i.param = "
                + bind(IndexExtractor.derivedName(c.name(), c.modifier())) + " AND (" + String.join(" OR ", ors) + "))";
    }

    /** subject:Patient.name=x: the reference points at a live Patient that matches name=x. */
    private String chainCondition(Criterion c) {
        Criterion.Chain chain = c.chain();
        SearchSql target = nested(chain.targetType());
        target.add(chain.criterion());
        String t = target.alias;
        return alias + ".res_key IN (SELECT i.res_key FROM idx_reference i WHERE " + typeIs("i.res_type")
                + " AND i.param = " + bind(c.name()) + " AND i.target_type = " + target.typeBind
                + " AND i.target_id IN (SELECT " + t + ".res_id FROM resource " + t + " WHERE " + t + ".res_type = "
                + target.typeBind + " AND NOT " + t + ".deleted" + target.where() + "))";
    }

    /** _has:Observation:patient:code=x: some live Observation whose patient is this resource matches code=x. */
    private String hasCondition(Criterion c) {
        Criterion.Has has = c.has();
        SearchSql source = nested(has.sourceType());
        source.add(has.criterion());
        String s = source.alias;
        return alias + ".res_id IN (SELECT i.target_id FROM idx_reference i JOIN resource " + s + " ON " + s
                + ".res_key = i.res_key WHERE i.res_type = " + source.typeBind + " AND i.param = "
                + bind(has.referenceParam()) + " AND " + typeIs("i.target_type") + " AND NOT " + s + ".deleted"
                + source.where() + ")";
    }

    /**
     * _compartment=Patient/123: the resource is in that patient's compartment, through any of the
     * parameters the compartment definition names for its type (or it is the patient itself).
     */
    private String compartmentCondition(Criterion c) {
        Criterion.Compartment compartment = c.compartment();
        String owner = "i.target_type = " + bind(compartment.type())
                + (compartment.id() == null ? "" : " AND i.target_id = " + bind(compartment.id()));
        List<String> ors = new ArrayList<>();
        if (types.size() == 1) {
            Set<String> names = compartment.params().getOrDefault(types.get(0), Set.of());
            if (!names.isEmpty()) {
                ors.add(alias + ".res_key IN (SELECT i.res_key FROM idx_reference i WHERE i.res_type = " + typeBind
                        + " AND i.param IN (" + bindList(List.copyOf(names)) + ") AND " + owner + ")");
            }
        } else {
            // Several types ($everything): one subquery from the owner back to its referrers,
            // keeping the (type, parameter) pairs that confer membership, plus the owner itself,
            // so the owner's few rows drive the plan rather than a scan of every resource.
            List<String> members = new ArrayList<>();
            if (!compartment.params().isEmpty()) {
                List<Object[]> pairs = new ArrayList<>();
                compartment.params().forEach((type, names) -> names.forEach(n -> pairs.add(new Object[] {type, n})));
                String name = "p" + next[0]++;
                params.addValue(name, pairs);
                members.add("SELECT i.res_key FROM idx_reference i WHERE " + owner + " AND (i.res_type, i.param) IN (:"
                        + name + ")");
            }
            if (compartment.includesSelf()) {
                members.add("SELECT o.res_key FROM resource o WHERE o.res_type = " + bind(compartment.type())
                        + (compartment.id() == null ? "" : " AND o.res_id = " + bind(compartment.id())));
            }
            return members.isEmpty() ? "false" : alias + ".res_key IN (" + String.join(" UNION ALL ", members) + ")";
        }
        if (compartment.includesSelf()) {
            ors.add(compartment.id() == null ? "true" : alias + ".res_id = " + bind(compartment.id()));
        }
        return ors.isEmpty() ? "false" : "(" + String.join(" OR ", ors) + ")";
    }

    private String valueCondition(Criterion c, String value) {
        RestSearchParameterTypeEnum type = c.param().type();
        if (c.modifier() != null && (type == RestSearchParameterTypeEnum.DATE || type == RestSearchParameterTypeEnum.NUMBER
                || type == RestSearchParameterTypeEnum.QUANTITY)) {
            throw unsupportedModifier(c.modifier(), type.getCode());
        }
        return switch (c.param().type()) {
            case STRING -> stringCondition(c.modifier(), unescape(value));
            case TOKEN -> tokenCondition(c.modifier(), value);
            case DATE -> dateCondition(value, "i.low", "i.high");
            case NUMBER -> numberCondition(value, "i.value");
            case QUANTITY -> quantityCondition(value);
            case REFERENCE -> referenceCondition(c, value);
            case URI -> uriCondition(c.modifier(), unescape(value));
            default -> throw new InvalidRequestException("Search parameter " + c.name() + " is not supported");
        };
    }

    private String stringCondition(String modifier, String value) {
        if (modifier == null) {
            return "i.norm LIKE " + bind(likeEscape(TextNormalizer.normalize(value)) + "%");
        }
        return switch (modifier) {
            case "exact" -> "i.value = " + bind(value);
            case "contains" -> "i.norm LIKE " + bind("%" + likeEscape(TextNormalizer.normalize(value)) + "%");
            default -> throw unsupportedModifier(modifier, "string");
        };
    }

    private String tokenCondition(String modifier, String value) {
        if ("text".equals(modifier)) {
            return "i.display LIKE " + bind(likeEscape(TextNormalizer.normalize(unescape(value))) + "%");
        }
        if (modifier != null && !modifier.equals("not")) {
            throw unsupportedModifier(modifier, "token");
        }
        List<String> parts = splitUnescaped(value, '|');
        if (parts.size() == 1) {
            return "i.code = " + bind(IndexRows.clipKey(parts.get(0)));
        }
        String system = IndexRows.clipKey(parts.get(0));
        String code = IndexRows.clipKey(parts.get(1));
        if (system.isEmpty()) {
            return "(i.code = " + bind(code) + " AND i.system IS NULL)";
        }
        if (code.isEmpty()) {
            return "i.system = " + bind(system);
        }
        return "(i.code = " + bind(code) + " AND i.system = " + bind(system) + ")";
    }

    private String referenceCondition(Criterion c, String raw) {
        String value = unescape(raw);
        String modifier = c.modifier();
        if (value.contains("://") || value.startsWith("urn:")) {
            String url = value;
            int bar = url.indexOf('|');
            return "i.url = " + bind(url) + (bar > 0 ? "" : "");
        }
        String targetType = modifier;
        String id = value;
        int slash = value.indexOf('/');
        if (slash > 0) {
            targetType = value.substring(0, slash);
            id = value.substring(slash + 1);
            int history = id.indexOf("/_history");
            if (history > 0) {
                id = id.substring(0, history);
            }
        }
        if (targetType == null && c.param().targets().size() == 1) {
            targetType = c.param().targets().iterator().next();
        }
        return targetType == null ? "i.target_id = " + bind(IndexRows.clipKey(id))
                : "(i.target_id = " + bind(IndexRows.clipKey(id)) + " AND i.target_type = "
                + bind(IndexRows.clipKey(targetType)) + ")";
    }

    private String uriCondition(String modifier, String value) {
        if (modifier == null) {
            return "i.value = " + bind(value);
        }
        return switch (modifier) {
            case "below" -> "i.value LIKE " + bind(likeEscape(value) + "%");
            case "above" -> "starts_with(" + bind(value) + ", i.value)";
            default -> throw unsupportedModifier(modifier, "uri");
        };
    }

    private String quantityCondition(String raw) {
        List<String> parts = splitUnescaped(raw, '|');
        String number = numberCondition(parts.get(0), "i.value");
        if (parts.size() == 1) {
            return number;
        }
        if (parts.size() != 3) {
            throw new InvalidRequestException("Invalid quantity '" + raw + "': expected [prefix]number|system|code");
        }
        String condition = number;
        if (!parts.get(1).isEmpty()) {
            condition += " AND i.system = " + bind(parts.get(1));
        }
        if (!parts.get(2).isEmpty()) {
            condition += " AND i.code = " + bind(parts.get(2));
        }
        return "(" + condition + ")";
    }

    private String numberCondition(String raw, String column) {
        Prefixed p = Prefixed.of(raw);
        BigDecimal value;
        try {
            value = new BigDecimal(p.value());
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Invalid number '" + raw + "'");
        }
        // PostgreSQL's numeric, and any value a resource can hold, stays far inside these bounds;
        // beyond them the interval arithmetic below overflows.
        if (Math.abs((long) value.precision() - value.scale()) > MAX_DIGITS || Math.abs(value.scale()) > MAX_DIGITS) {
            throw new InvalidRequestException("Number out of range: '" + raw + "'");
        }
        // A number stands for the interval its precision implies: 100 is [99.5, 100.5).
        BigDecimal half = BigDecimal.valueOf(5, Math.max(value.scale(), 0) + 1);
        String low = bind(value.subtract(half));
        String high = bind(value.add(half));
        String exact = bind(value);
        return switch (p.prefix()) {
            case "eq" -> "(" + column + " >= " + low + " AND " + column + " < " + high + ")";
            case "ne" -> "(" + column + " < " + low + " OR " + column + " >= " + high + ")";
            case "gt", "sa" -> column + " > " + exact;
            case "lt", "eb" -> column + " < " + exact;
            case "ge" -> column + " >= " + exact;
            case "le" -> column + " <= " + exact;
            case "ap" -> {
                BigDecimal margin = value.abs().multiply(BigDecimal.valueOf(0.1));
                yield "(" + column + " BETWEEN " + bind(value.subtract(margin)) + " AND " + bind(value.add(margin)) + ")";
            }
            default -> throw new InvalidRequestException("Unknown prefix in '" + raw + "'");
        };
    }

    /**
     * Date comparison with range semantics: the search value and the indexed value each cover a
     * range ([low, high]); the prefix says how the two must relate.
     */
    private String dateCondition(String raw, String lowColumn, String highColumn) {
        Prefixed p = Prefixed.of(raw);
        // An unencoded '+' of a zone offset arrives as a space; a time without a zone is UTC, as
        // a date without one is a UTC day.
        String text = p.value().replace(' ', '+');
        if (text.contains("T") && !ZONED.matcher(text).find()) {
            text += "Z";
        }
        DateTimeType date;
        try {
            date = new DateTimeType(text);
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Invalid date '" + raw + "': expected [prefix]YYYY[-MM[-DD[Thh:mm:ss[.sss]zz]]]");
        }
        if (date.getValue() == null) {
            throw new InvalidRequestException("Invalid date '" + raw + "'");
        }
        Instant low = IndexExtractor.start(date);
        Instant high = IndexExtractor.end(date);
        String lo = bind(Timestamp.from(low));
        String hi = bind(Timestamp.from(high));
        return switch (p.prefix()) {
            case "eq" -> "(" + lowColumn + " >= " + lo + " AND " + highColumn + " <= " + hi + ")";
            case "ne" -> "(" + lowColumn + " < " + lo + " OR " + highColumn + " > " + hi + ")";
            case "gt" -> highColumn + " > " + hi;
            case "lt" -> lowColumn + " < " + lo;
            case "ge" -> highColumn + " >= " + lo;
            case "le" -> lowColumn + " <= " + hi;
            case "sa" -> lowColumn + " > " + hi;
            case "eb" -> highColumn + " < " + lo;
            case "ap" -> {
                // Approximately: within 10% of the distance from now, and at least a day.
                long distance = Math.abs(java.time.Duration.between(Instant.now(), low).toMillis());
                long margin = Math.max(distance / 10, 86_400_000L);
                yield "(" + lowColumn + " <= " + bind(Timestamp.from(high.plusMillis(margin))) + " AND "
                        + highColumn + " >= " + bind(Timestamp.from(low.minusMillis(margin))) + ")";
            }
            default -> throw new InvalidRequestException("Unknown prefix in '" + raw + "'");
        };
    }

    private static String table(SearchParam param) {
        return switch (param.type()) {
            case STRING -> "idx_string";
            case TOKEN -> "idx_token";
            case DATE -> "idx_date";
            case NUMBER -> "idx_number";
            case QUANTITY -> "idx_quantity";
            case REFERENCE -> "idx_reference";
            case URI -> "idx_uri";
            default -> throw new InvalidRequestException("Search parameter " + param.name() + " is not supported");
        };
    }

    private String negate(Criterion c, String condition) {
        return "not".equals(c.modifier()) ? "NOT " + condition : condition;
    }

    String bind(Object value) {
        String name = "p" + next[0]++;
        params.addValue(name, value);
        return ":" + name;
    }

    private String bindList(List<String> values) {
        String name = "p" + next[0]++;
        params.addValue(name, values);
        return ":" + name;
    }

    private static boolean parseBoolean(String value) {
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new InvalidRequestException(":missing takes true or false, not '" + value + "'");
    }

    private static InvalidRequestException unsupportedModifier(String modifier, String type) {
        return new InvalidRequestException("Modifier :" + modifier + " is not supported on " + type + " parameters");
    }

    static String likeEscape(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    static String unescape(String text) {
        return text.replaceAll("\\\\([,$|\\\\])", "$1");
    }

    /** Splits on a separator not escaped with a backslash; unescapes the parts. */
    static List<String> splitUnescaped(String text, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\\' && i + 1 < text.length()) {
                current.append(text.charAt(++i));
            } else if (ch == separator) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(ch);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    /** A value with its comparison prefix (eq when none). */
    record Prefixed(String prefix, String value) {
        static Prefixed of(String raw) {
            if (raw.length() > 2 && Character.isLetter(raw.charAt(0)) && Character.isLetter(raw.charAt(1))) {
                return new Prefixed(raw.substring(0, 2), raw.substring(2));
            }
            return new Prefixed("eq", raw);
        }
    }
}
