package org.carepath.search;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/** Parses search parameters into criteria, and splits off the names it does not know. */
final class SearchCriteria {

    /** Parameters that shape the result rather than select resources. */
    static final Set<String> RESULT_PARAMETERS = Set.of("_count", "_sort", "_include", "_revinclude", "_summary",
            "_elements", "_total", "_format", "_pretty", "_contained", "_containedType", "_page", "_getpages",
            "_pageId", "_bundletype");

    final List<Criterion> criteria = new ArrayList<>();
    final List<String> unknown = new ArrayList<>();

    static SearchCriteria parse(SearchParameters parameters, String type, Map<String, List<String>> query) {
        SearchCriteria result = new SearchCriteria();
        for (var entry : query.entrySet()) {
            String key = entry.getKey();
            int colon = key.indexOf(':');
            String name = colon < 0 ? key : key.substring(0, colon);
            String modifier = colon < 0 ? null : key.substring(colon + 1);
            if (RESULT_PARAMETERS.contains(name)) {
                continue;
            }
            SearchParam param = null;
            if (!name.equals("_id") && !name.equals("_lastUpdated")) {
                param = parameters.find(type, name).orElse(null);
                if (param == null) {
                    result.unknown.add(key);
                    continue;
                }
            }
            for (String raw : entry.getValue()) {
                result.criteria.add(new Criterion(param, name, modifier, splitOr(raw)));
            }
        }
        return result;
    }

    /** Splits on commas that are not escaped with a backslash, and unescapes \, \$ \| \\. */
    static List<String> splitOr(String raw) {
        List<String> values = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length() && ",$|\\".indexOf(raw.charAt(i + 1)) >= 0) {
                current.append('\\').append(raw.charAt(++i)); // kept escaped until the value is parsed
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
