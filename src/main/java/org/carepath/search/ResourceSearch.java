package org.carepath.search;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.search.SearchRequest.Include;
import org.carepath.search.SearchRequest.SortKey;
import org.carepath.search.SearchRequest.Total;
import org.carepath.store.StoredResource;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * Finds resources of one type that match a search, one keyset page at a time, and the resources
 * its _include and _revinclude name.
 */
@Service
public class ResourceSearch {

    /** Counting stops here unless the client asks for an accurate total. */
    static final int COUNT_CAP = 10_000;
    /** Included resources per page at most, so an _include:iterate cannot pull in the database. */
    static final int MAX_INCLUDED = 1_000;
    private static final int MAX_ITERATIONS = 4;

    private final NamedParameterJdbcTemplate jdbc;
    private final SearchParameters parameters;

    public ResourceSearch(NamedParameterJdbcTemplate jdbc, SearchParameters parameters) {
        this.jdbc = jdbc;
        this.parameters = parameters;
    }

    /**
     * Keys of the live resources matching a conditional URL's query ({@code identifier=a|b}).
     * Unknown parameters are an error here: ignoring one would widen the match.
     */
    public List<Long> findKeys(String type, String criteria, int limit) {
        SearchRequest request = parse(type, QueryStrings.parse(criteria));
        if (!request.unknown().isEmpty()) {
            throw new InvalidRequestException("Unknown search parameter(s) for " + type + ": "
                    + String.join(", ", request.unknown()));
        }
        if (request.criteria().isEmpty()) {
            throw new InvalidRequestException("Conditional criteria must name at least one search parameter");
        }
        return page(request, null, limit).keys();
    }

    /** The criteria in a canonical order, so equal criteria written differently lock alike. */
    public String normalizeCriteria(String type, String criteria) {
        if (!parameters.isResourceType(type)) { // the type, too, becomes part of a lock key
            throw new InvalidRequestException("Unknown resource type '" + type.replace('\u0000', ' ') + "'");
        }
        Map<String, List<String>> query = QueryStrings.parse(criteria);
        rejectNul(query); // the lock key is text too
        return new TreeMap<>(query).toString();
    }

    /** Nothing stored can hold U+0000, and PostgreSQL refuses it even as a bind value. */
    private static void rejectNul(Map<String, List<String>> query) {
        query.forEach((name, values) -> {
            if (name.indexOf('\u0000') >= 0 || values.stream().anyMatch(v -> v != null && v.indexOf('\u0000') >= 0)) {
                throw new InvalidRequestException("Search parameter '" + name.replace('\u0000', ' ')
                        + "' must not contain the NUL character (U+0000)");
            }
        });
    }

    /** Parses a search; parameter names it does not know are listed rather than failing. */
    public SearchRequest parse(String type, Map<String, List<String>> query) {
        if (!parameters.isResourceType(type)) {
            throw new InvalidRequestException("Unknown resource type '" + type + "'");
        }
        return parse(List.of(type), query);
    }

    /**
     * Parses a system-level search ({@code GET [base]?_type=Patient,Group&_tag=x}): over the
     * types {@code _type} names (all types without it), with the parameters they all define.
     */
    public SearchRequest parseSystem(Map<String, List<String>> query) {
        List<String> types = typesOf(query.get("_type"));
        Map<String, List<String>> rest = new LinkedHashMap<>(query);
        rest.remove("_type");
        return parse(types.isEmpty() ? List.copyOf(parameters.resourceTypes()) : types, rest);
    }

    /**
     * Patient/$everything: the patient (every patient, without an id) and every resource in its
     * compartment but the audit trail, in key order. {@code _since} keeps what changed since that instant; {@code
     * _type} keeps those types. Resources they refer to come along as includes when their type
     * cannot be in a patient compartment (practitioners, organizations, medications, definitions):
     * those that can are shown only when in this patient's compartment.
     */
    public SearchRequest everything(String patientId, Map<String, List<String>> query) {
        Map<String, Set<String>> members = new java.util.TreeMap<>(parameters.compartmentMembers("Patient"));
        // The audit trail records who looked at the record; it is not part of it (and is read
        // only with a scope that names it): Patient/[id]/AuditEvent still finds it.
        members.remove("AuditEvent");
        List<String> wanted = typesOf(query.get("_type"));
        List<String> types = new ArrayList<>();
        for (String type : parameters.resourceTypes()) {
            if ((type.equals("Patient") || members.containsKey(type)) && (wanted.isEmpty() || wanted.contains(type))) {
                types.add(type);
            }
        }
        Set<String> referenced = new java.util.TreeSet<>();
        for (String type : parameters.resourceTypes()) {
            if (!type.equals("Patient") && !members.containsKey(type) && (wanted.isEmpty() || wanted.contains(type))) {
                referenced.add(type);
            }
        }
        if (types.isEmpty()) {
            // Only types outside the compartment were asked for: nothing matches, nothing is included.
            return new SearchRequest(List.of("Patient"), List.of(SearchCriteria.compartment(parameters, List.of(),
                    "Patient", patientId)), List.of(), List.of(), Total.DEFAULT, List.of());
        }
        List<Criterion> criteria = new ArrayList<>();
        criteria.add(SearchCriteria.compartment(parameters, types, "Patient", patientId));
        for (String since : query.getOrDefault("_since", List.of())) {
            criteria.add(Criterion.of(null, "_lastUpdated", null, List.of("ge" + since)));
        }
        List<Include> includes = referenced.isEmpty() ? List.of()
                : List.of(new Include(false, null, null, Set.copyOf(referenced), false));
        return new SearchRequest(List.copyOf(types), List.copyOf(criteria), List.of(), includes, Total.DEFAULT, List.of());
    }

    /** The resource types of _type (comma-separated, possibly repeated); empty when absent. */
    private List<String> typesOf(List<String> values) {
        Set<String> types = new java.util.TreeSet<>();
        for (String value : values == null ? List.<String>of() : values) {
            for (String type : value.split(",")) {
                String t = type.trim();
                if (t.isEmpty()) {
                    continue;
                }
                if (!parameters.isResourceType(t)) {
                    throw new InvalidRequestException("Unknown resource type '" + t + "' in _type");
                }
                types.add(t);
            }
        }
        return List.copyOf(types);
    }

    private SearchRequest parse(List<String> types, Map<String, List<String>> query) {
        rejectNul(query);
        SearchCriteria parsed = SearchCriteria.parse(parameters, types, query);
        List<SortKey> sort = new ArrayList<>();
        for (String value : query.getOrDefault("_sort", List.of())) {
            for (String key : value.split(",")) {
                if (!key.isBlank()) {
                    sort.add(sortKey(types, key.trim()));
                }
            }
        }
        List<Include> includes = new ArrayList<>();
        query.forEach((name, values) -> {
            String base = SearchCriteria.baseName(name);
            if (base.equals("_include") || base.equals("_revinclude")) {
                String modifier = name.substring(base.length());
                boolean iterate = modifier.equals(":iterate") || modifier.equals(":recurse");
                values.forEach(v -> includes.add(include(base.equals("_revinclude"), v, iterate)));
            }
        });
        return new SearchRequest(types, List.copyOf(parsed.criteria), List.copyOf(sort), List.copyOf(includes),
                total(query.get("_total")), List.copyOf(parsed.unknown));
    }

    private SortKey sortKey(List<String> types, String key) {
        boolean descending = key.startsWith("-");
        String name = descending ? key.substring(1) : key;
        if (name.equals("_id") || name.equals("_lastUpdated")) {
            return new SortKey(null, name, descending);
        }
        SearchParam param = parameters.findCommon(types, name).orElseThrow(() ->
                new InvalidRequestException("Cannot sort by '" + name + "': not a search parameter of "
                        + (types.size() == 1 ? types.get(0) : "every type searched")));
        return new SortKey(param, name, descending);
    }

    private Include include(boolean reverse, String value, boolean iterate) {
        String[] parts = value.split(":");
        if (parts.length == 1 && parts[0].equals("*")) {
            throw new InvalidRequestException("_include=* needs a source type: use Type:*");
        }
        if (parts.length < 2 || parts.length > 3) {
            throw new InvalidRequestException("Malformed " + (reverse ? "_revinclude" : "_include") + " '" + value
                    + "': expected Type:parameter[:targetType]");
        }
        String source = parts[0];
        if (!parameters.isResourceType(source)) {
            throw new InvalidRequestException("Unknown resource type '" + source + "' in '" + value + "'");
        }
        String param = parts[1].equals("*") ? null : parts[1];
        if (param != null && parameters.find(source, param).filter(p -> p.type() == RestSearchParameterTypeEnum.REFERENCE).isEmpty()) {
            throw new InvalidRequestException("'" + param + "' is not a reference parameter of " + source);
        }
        String target = parts.length == 3 ? parts[2] : null;
        if (target != null && !parameters.isResourceType(target)) {
            throw new InvalidRequestException("Unknown resource type '" + target + "' in '" + value + "'");
        }
        return new Include(reverse, source, param, target == null ? Set.of() : Set.of(target), iterate);
    }

    private static Total total(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Total.DEFAULT;
        }
        return switch (values.get(0)) {
            case "none" -> Total.NONE;
            case "estimate" -> Total.ESTIMATE;
            case "accurate" -> Total.ACCURATE;
            default -> throw new InvalidRequestException("_total takes none, estimate or accurate, not '" + values.get(0) + "'");
        };
    }

    /** A page of matches in sort order, and whether more follow. */
    public record Page(List<Long> keys, List<List<String>> sortValues, boolean more) {
    }

    /**
     * One page: the first {@code limit} matches after the cursor (before it, for a backward
     * cursor, still in sort order). Ordering ends with the resource key, so every row has one
     * exact place and concurrent inserts neither repeat nor skip rows on later pages.
     */
    public Page page(SearchRequest request, Cursor cursor, int limit) {
        PageQuery query = pageQuery(request, cursor, limit);
        boolean backward = cursor != null && cursor.backward();
        List<String> sortColumns = query.sortColumns();
        List<Long> keys = new ArrayList<>();
        List<List<String>> values = new ArrayList<>();
        jdbc.query(query.sql(), query.params(), (ResultSet rs) -> {
            keys.add(rs.getLong("k"));
            List<String> row = new ArrayList<>();
            for (int i = 0; i < sortColumns.size(); i++) {
                row.add(text(rs, sortColumns.get(i)));
            }
            values.add(row);
        });
        boolean more = keys.size() > limit;
        if (more) {
            keys.remove(limit);
            values.remove(limit);
        }
        if (backward) {
            Collections.reverse(keys);
            Collections.reverse(values);
        }
        return new Page(keys, values, more);
    }

    /** The SQL of one page and its bind values; built apart from running it, so it can be tested alone. */
    record PageQuery(String sql, MapSqlParameterSource params, List<String> sortColumns) {
    }

    PageQuery pageQuery(SearchRequest request, Cursor cursor, int limit) {
        SearchSql sql = new SearchSql(request.types());
        request.criteria().forEach(sql::add);
        boolean backward = cursor != null && cursor.backward();
        List<String> sortColumns = new ArrayList<>();
        List<String> select = new ArrayList<>();
        select.add("r.res_key AS k");
        for (int i = 0; i < request.sort().size(); i++) {
            select.add(sortExpression(request.sort().get(i), sql) + " AS s" + i);
            sortColumns.add("s" + i);
        }
        List<String> order = new ArrayList<>();
        for (int i = 0; i < sortColumns.size(); i++) {
            boolean descending = request.sort().get(i).descending() != backward;
            order.add(sortColumns.get(i) + (descending ? " DESC" : " ASC") + (backward ? " NULLS FIRST" : " NULLS LAST"));
        }
        order.add("k" + (backward ? " DESC" : " ASC"));
        String after = cursor == null ? "true" : afterCondition(request, cursor, sortColumns, sql);
        sql.params.addValue("limit", limit + 1);
        String query = "SELECT * FROM (SELECT " + String.join(", ", select)
                + " FROM resource r WHERE " + sql.typeIs("r.res_type") + " AND NOT r.deleted" + sql.where()
                + ") q WHERE " + after + " ORDER BY " + String.join(", ", order) + " LIMIT :limit";
        return new PageQuery(query, sql.params, sortColumns);
    }

    /** Ascending sorts use the lowest of a resource's values, descending the highest (FHIR's rule). */
    private static String sortExpression(SortKey key, SearchSql sql) {
        if (key.param() == null) {
            return key.name().equals("_id") ? "r.res_id" : "r.last_updated";
        }
        String agg = key.descending() ? "max" : "min";
        String param = sql.bind(key.name());
        return switch (key.param().type()) {
            case DATE -> "(SELECT " + agg + "(" + (key.descending() ? "i.high" : "i.low")
                    + ") FROM idx_date i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case STRING -> "(SELECT " + agg + "(i.norm) FROM idx_string i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case TOKEN -> "(SELECT " + agg + "(i.code) FROM idx_token i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case NUMBER -> "(SELECT " + agg + "(i.value) FROM idx_number i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case QUANTITY -> "(SELECT " + agg + "(i.value) FROM idx_quantity i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case REFERENCE -> "(SELECT " + agg + "(coalesce(i.target_type || '/' || i.target_id, i.url)) FROM idx_reference i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            case URI -> "(SELECT " + agg + "(i.value) FROM idx_uri i WHERE i.res_key = r.res_key AND i.param = " + param + ")";
            default -> throw new InvalidRequestException("Cannot sort by '" + key.name() + "'");
        };
    }

    /** Rows strictly after the cursor's row in the page's order (before it, walking backward). */
    private static String afterCondition(SearchRequest request, Cursor cursor, List<String> columns, SearchSql sql) {
        if (cursor.values().size() != columns.size()) {
            throw new InvalidRequestException("Malformed page cursor");
        }
        boolean backward = cursor.backward();
        List<String> ors = new ArrayList<>();
        List<String> equalSoFar = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            String column = columns.get(i);
            String value = cursor.values().get(i);
            boolean descending = request.sort().get(i).descending() != backward;
            String bound = value == null ? null : sql.bind(typed(request.sort().get(i), value, cursor));
            String beyond;
            if (bound == null) {
                beyond = backward ? column + " IS NOT NULL" : "false";
            } else {
                String cmp = column + (descending ? " < " : " > ") + bound;
                beyond = backward ? "(" + cmp + ")" : "(" + cmp + " OR " + column + " IS NULL)";
            }
            ors.add(conjunction(equalSoFar, beyond));
            equalSoFar.add(bound == null ? column + " IS NULL" : column + " = " + bound);
        }
        ors.add(conjunction(equalSoFar, "k " + (backward ? "<" : ">") + " " + sql.bind(cursor.key())));
        return "(" + String.join(" OR ", ors) + ")";
    }

    private static String conjunction(List<String> equal, String last) {
        List<String> all = new ArrayList<>(equal);
        all.add(last);
        return "(" + String.join(" AND ", all) + ")";
    }

    /** A cursor's sort value as the column's type; a link whose values do not parse was not made here. */
    private static Object typed(SortKey key, String value, Cursor cursor) {
        try {
            if (key.param() == null) {
                return key.name().equals("_lastUpdated") ? Timestamp.from(Instant.parse(value)) : value;
            }
            return switch (key.param().type()) {
                case DATE -> Timestamp.from(Instant.parse(value));
                case NUMBER, QUANTITY -> new BigDecimal(value);
                default -> value;
            };
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Malformed page cursor");
        }
    }

    private static String text(ResultSet rs, String column) throws SQLException {
        Object value = rs.getObject(column);
        if (value == null) {
            return null;
        }
        if (value instanceof Timestamp ts) {
            return ts.toInstant().toString();
        }
        if (value instanceof java.time.OffsetDateTime odt) {
            return odt.toInstant().toString();
        }
        if (value instanceof BigDecimal number) {
            return number.toPlainString();
        }
        return value.toString();
    }

    /**
     * The number of matches: exact for _total=accurate; otherwise counted up to a cap and left
     * out beyond it (null), and not counted at all for _total=none.
     */
    public Integer count(SearchRequest request) {
        if (request.total() == Total.NONE) {
            return null;
        }
        SearchSql sql = new SearchSql(request.types());
        request.criteria().forEach(sql::add);
        String matches = "SELECT 1 FROM resource r WHERE " + sql.typeIs("r.res_type") + " AND NOT r.deleted" + sql.where();
        if (request.total() == Total.ACCURATE) {
            return jdbc.queryForObject("SELECT count(*) FROM (" + matches + ") m", sql.params, Integer.class);
        }
        sql.params.addValue("cap", COUNT_CAP + 1);
        Integer count = jdbc.queryForObject("SELECT count(*) FROM (" + matches + " LIMIT :cap) m", sql.params, Integer.class);
        return count == null || count > COUNT_CAP ? null : count;
    }

    /**
     * Keys of the resources _include and _revinclude add to a page, not counting those already
     * in it; :iterate ones are applied again to what was added, a few rounds at most.
     */
    public List<Long> included(SearchRequest request, List<StoredResource> page) {
        if (request.includes().isEmpty() || page.isEmpty()) {
            return List.of();
        }
        Set<Long> seen = new LinkedHashSet<>();
        page.forEach(r -> seen.add(r.key()));
        Set<Long> added = new LinkedHashSet<>();
        List<Ref> round = page.stream().map(r -> new Ref(r.key(), r.type(), r.id())).toList();
        for (int iteration = 0; iteration < MAX_ITERATIONS && !round.isEmpty(); iteration++) {
            boolean first = iteration == 0;
            List<Ref> next = new ArrayList<>();
            for (Include include : request.includes()) {
                if (!first && !include.iterate()) {
                    continue;
                }
                for (Ref found : include.reverse() ? reverse(include, round) : forward(include, round)) {
                    if (seen.add(found.key())) {
                        added.add(found.key());
                        next.add(found);
                        if (added.size() >= MAX_INCLUDED) {
                            return List.copyOf(added);
                        }
                    }
                }
            }
            round = next;
        }
        return List.copyOf(added);
    }

    /** A resource by key, type and id: what include lookups go from and come back with. */
    private record Ref(long key, String type, String id) {
    }

    private List<Ref> forward(Include include, List<Ref> from) {
        List<Long> keys = from.stream().filter(r -> include.sourceType() == null || r.type().equals(include.sourceType()))
                .map(Ref::key).toList();
        if (keys.isEmpty()) {
            return List.of();
        }
        var params = new MapSqlParameterSource("keys", keys);
        StringBuilder sql = new StringBuilder("""
                SELECT t.res_key, t.res_type, t.res_id FROM idx_reference i
                JOIN resource t ON t.res_type = i.target_type AND t.res_id = i.target_id AND NOT t.deleted
                WHERE i.res_key IN (:keys)""");
        if (include.sourceType() != null) {
            sql.append(" AND i.res_type = :source");
            params.addValue("source", include.sourceType());
        }
        if (include.param() != null) {
            sql.append(" AND i.param = :param");
            params.addValue("param", include.param());
        }
        if (!include.targetTypes().isEmpty()) {
            sql.append(" AND i.target_type IN (:targets)");
            params.addValue("targets", List.copyOf(include.targetTypes()));
        }
        return jdbc.query(sql.toString(), params, (rs, n) -> new Ref(rs.getLong(1), rs.getString(2), rs.getString(3)));
    }

    private List<Ref> reverse(Include include, List<Ref> to) {
        List<Object[]> targets = to.stream()
                .filter(r -> include.targetTypes().isEmpty() || include.targetTypes().contains(r.type()))
                .map(r -> new Object[] {r.type(), r.id()}).toList();
        if (targets.isEmpty()) {
            return List.of();
        }
        var params = new MapSqlParameterSource("targets", targets).addValue("source", include.sourceType());
        String sql = """
                SELECT s.res_key, s.res_type, s.res_id FROM idx_reference i
                JOIN resource s ON s.res_key = i.res_key AND NOT s.deleted
                WHERE (i.target_type, i.target_id) IN (:targets) AND i.res_type = :source""";
        if (include.param() != null) {
            sql += " AND i.param = :param";
            params.addValue("param", include.param());
        }
        return jdbc.query(sql, params, (rs, n) -> new Ref(rs.getLong(1), rs.getString(2), rs.getString(3)));
    }
}
