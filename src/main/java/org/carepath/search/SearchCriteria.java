package org.carepath.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/** Parses search parameters into criteria, and splits off the names it does not know. */
final class SearchCriteria {

    /** Parameters that shape the result rather than select resources. */
    static final Set<String> RESULT_PARAMETERS = Set.of("_count", "_sort", "_include", "_revinclude", "_summary",
            "_elements", "_total", "_format", "_pretty", "_getpages", "_pageId", "_bundletype");
    /** The values _summary takes (HAPI applies it; a misspelt one would otherwise be ignored). */
    private static final Set<String> SUMMARY_VALUES = Set.of("true", "false", "text", "data", "count");
    private static final int MAX_CHAIN_DEPTH = 3;

    final List<Criterion> criteria = new ArrayList<>();
    final List<String> unknown = new ArrayList<>();

    /**
     * @param types the searched types: at the top level, a parameter must be one they all define
     *              (for several types, the common ones such as _tag)
     */
    static SearchCriteria parse(SearchParameters parameters, List<String> types, Map<String, List<String>> query) {
        SearchCriteria result = new SearchCriteria();
        for (String summary : query.getOrDefault("_summary", List.of())) {
            if (!SUMMARY_VALUES.contains(summary)) {
                throw new InvalidRequestException("_summary takes true, false, text, data or count, not '" + summary + "'");
            }
        }
        for (var entry : query.entrySet()) {
            String key = entry.getKey();
            if (RESULT_PARAMETERS.contains(baseName(key))) {
                continue;
            }
            for (String raw : entry.getValue()) {
                Criterion criterion = criterion(parameters, types, key, raw, 0, false);
                if (criterion == null) {
                    if (!result.unknown.contains(key)) {
                        result.unknown.add(key);
                    }
                } else {
                    result.criteria.add(criterion);
                }
            }
        }
        return result;
    }

    /**
     * One criterion, or null for an unknown top-level parameter. Inside chains and _has an unknown
     * name is an error: ignoring it would widen the match without the client knowing.
     */
    private static Criterion criterion(SearchParameters parameters, List<String> types, String key, String raw,
                                       int depth, boolean nested) {
        if (depth > MAX_CHAIN_DEPTH) {
            throw new InvalidRequestException("Chains and _has may nest at most " + MAX_CHAIN_DEPTH + " levels: " + key);
        }
        if (key.startsWith("_has:")) {
            String[] parts = key.split(":", 4);
            if (parts.length < 4) {
                throw new InvalidRequestException("Malformed _has '" + key + "': expected _has:Type:reference:parameter");
            }
            String source = parts[1];
            requireType(parameters, source);
            SearchParam reference = parameters.find(source, parts[2])
                    .filter(p -> p.type() == RestSearchParameterTypeEnum.REFERENCE)
                    .orElseThrow(() -> new InvalidRequestException("_has: " + source + " has no reference parameter '"
                            + parts[2] + "'"));
            Criterion inner = criterion(parameters, List.of(source), parts[3], raw, depth + 1, true);
            return new Criterion(null, "_has", null, List.of(raw), null,
                    new Criterion.Has(source, reference.name(), inner), null);
        }
        int dot = key.indexOf('.');
        String head = dot < 0 ? key : key.substring(0, dot);
        int colon = head.indexOf(':');
        String name = colon < 0 ? head : head.substring(0, colon);
        String modifier = colon < 0 ? null : head.substring(colon + 1);
        if (name.equals("_compartment")) {
            return compartment(parameters, types, raw);
        }
        if (name.equals("_id") || name.equals("_lastUpdated")) {
            return Criterion.of(null, name, modifier, splitOr(raw));
        }
        SearchParam param = parameters.findCommon(types, name).orElse(null);
        if (param == null) {
            if (nested || dot >= 0) {
                throw new InvalidRequestException("Unknown search parameter '" + name + "' for "
                        + (types.size() == 1 ? types.get(0) : "all of " + String.join(", ", types)));
            }
            return null;
        }
        if (dot < 0) {
            if (param.type() == RestSearchParameterTypeEnum.REFERENCE && modifier != null && !modifier.equals("missing")
                    && !modifier.equals("identifier") && !parameters.isResourceType(modifier)) {
                throw new InvalidRequestException("Modifier :" + modifier + " is not supported on reference parameters"
                        + " (a resource type, :identifier or :missing)");
            }
            return Criterion.of(param, name, modifier, splitOr(raw));
        }
        if (param.type() != RestSearchParameterTypeEnum.REFERENCE) {
            throw new InvalidRequestException("Only reference parameters can be chained: " + key);
        }
        String target = modifier;
        if (target == null) {
            if (param.targets().size() != 1) {
                throw new InvalidRequestException("Chain '" + key + "' is ambiguous: name the target type, e.g. "
                        + name + ":" + (param.targets().isEmpty() ? "Patient" : param.targets().iterator().next())
                        + "." + key.substring(dot + 1));
            }
            target = param.targets().iterator().next();
        }
        requireType(parameters, target);
        Criterion inner = criterion(parameters, List.of(target), key.substring(dot + 1), raw, depth + 1, true);
        return new Criterion(param, name, null, List.of(raw), new Criterion.Chain(target, inner), null, null);
    }

    private static Criterion compartment(SearchParameters parameters, List<String> types, String raw) {
        String[] parts = raw.split("/");
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new InvalidRequestException("_compartment takes Type/id, not '" + raw + "'");
        }
        return compartment(parameters, types, parts[0], parts[1]);
    }

    /** Membership of the compartment of {@code owner}/{@code id} (any owner of that type when id is null). */
    static Criterion compartment(SearchParameters parameters, List<String> types, String owner, String id) {
        Map<String, Set<String>> params = new java.util.TreeMap<>();
        for (String type : types) {
            Set<String> names = parameters.compartmentParams(owner, type);
            if (!names.isEmpty()) {
                params.put(type, names);
            }
        }
        return new Criterion(null, "_compartment", null, List.of(owner + "/" + (id == null ? "*" : id)), null, null,
                new Criterion.Compartment(owner, id, params, types.contains(owner)));
    }

    private static void requireType(SearchParameters parameters, String type) {
        if (!parameters.isResourceType(type)) {
            throw new InvalidRequestException("Unknown resource type '" + type + "'");
        }
    }

    /** A parameter name without its modifier ({@code _include:iterate} is {@code _include}). */
    static String baseName(String key) {
        int colon = key.indexOf(':');
        return colon < 0 ? key : key.substring(0, colon);
    }

    /** Splits on commas that are not escaped with a backslash; escapes stay until the value is parsed. */
    static List<String> splitOr(String raw) {
        List<String> values = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length() && ",$|\\".indexOf(raw.charAt(i + 1)) >= 0) {
                current.append('\\').append(raw.charAt(++i));
            } else if (c == ',') {
                values.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        values.add(current.toString());
        return values;
    }
}
