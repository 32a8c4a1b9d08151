package org.carepath.search;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Service;

/** Finds resources of one type that match search criteria. */
@Service
public class ResourceSearch {

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
        SearchCriteria parsed = SearchCriteria.parse(parameters, type, QueryStrings.parse(criteria));
        if (!parsed.unknown.isEmpty()) {
            throw new InvalidRequestException("Unknown search parameter(s) for " + type + ": "
                    + String.join(", ", parsed.unknown));
        }
        if (parsed.criteria.isEmpty()) {
            throw new InvalidRequestException("Conditional criteria must name at least one search parameter");
        }
        SearchSql sql = new SearchSql(type);
        parsed.criteria.forEach(sql::add);
        sql.params.addValue("limit", limit);
        return jdbc.queryForList("SELECT r.res_key FROM resource r WHERE r.res_type = :type AND NOT r.deleted"
                + sql.where() + " ORDER BY r.res_key LIMIT :limit", sql.params, Long.class);
    }

    /** The criteria in a canonical order, so equal criteria written differently lock alike. */
    public String normalizeCriteria(String type, String criteria) {
        return new TreeMap<>(QueryStrings.parse(criteria)).toString();
    }

    /** Parses a search request; names it does not know are returned rather than failing. */
    public ParsedSearch parse(String type, Map<String, List<String>> query) {
        SearchCriteria parsed = SearchCriteria.parse(parameters, type, query);
        return new ParsedSearch(type, List.copyOf(parsed.criteria), List.copyOf(parsed.unknown));
    }

    /** One page of matching keys in key order, starting at an offset. */
    public List<Long> page(ParsedSearch search, int offset, int limit) {
        SearchSql sql = new SearchSql(search.type());
        search.criteria().forEach(sql::add);
        sql.params.addValue("offset", offset).addValue("limit", limit);
        return jdbc.queryForList("SELECT r.res_key FROM resource r WHERE r.res_type = :type AND NOT r.deleted"
                + sql.where() + " ORDER BY r.res_key OFFSET :offset LIMIT :limit", sql.params, Long.class);
    }

    public int count(ParsedSearch search) {
        SearchSql sql = new SearchSql(search.type());
        search.criteria().forEach(sql::add);
        Integer count = jdbc.queryForObject("SELECT count(*) FROM resource r WHERE r.res_type = :type AND NOT r.deleted"
                + sql.where(), sql.params, Integer.class);
        return count == null ? 0 : count;
    }

    /** A parsed search: what to match, and the parameter names that were not understood. */
    public record ParsedSearch(String type, List<Criterion> criteria, List<String> unknown) {
    }
}
