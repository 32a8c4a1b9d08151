package org.carepath.search;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/** Query strings as parameter maps. */
public final class QueryStrings {

    private QueryStrings() {
    }

    /** A query string ({@code a=1&b=2,3}) as a parameter map, decoded. */
    public static Map<String, List<String>> parse(String queryString) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        String q = queryString.startsWith("?") ? queryString.substring(1) : queryString;
        for (String pair : q.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new InvalidRequestException("Malformed search parameter '" + pair + "': expected name=value");
            }
            String name = decode(pair.substring(0, eq));
            query.computeIfAbsent(name, k -> new ArrayList<>()).add(decode(pair.substring(eq + 1)));
        }
        return query;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("Malformed percent-encoding in search parameter '" + text + "'");
        }
    }

}
