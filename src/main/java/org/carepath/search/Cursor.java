package org.carepath.search;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/**
 * Where a page starts: just after (or, for a previous page, just before) the row with these sort
 * values and key. Rows are ordered by the sort keys and then the resource key, so the position is
 * exact and stays right while others write.
 *
 * @param values the sort values of that row, as text (null where the row has none)
 */
public record Cursor(boolean backward, List<String> values, long key) {

    public String encode() {
        List<String> parts = new ArrayList<>();
        parts.add(backward ? "b" : "a");
        parts.add(Long.toString(key));
        values.forEach(v -> parts.add(v == null ? "~" : URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return String.join(",", parts);
    }

    public static Cursor decode(String text) {
        try {
            String[] parts = text.split(",", -1);
            List<String> values = new ArrayList<>();
            for (int i = 2; i < parts.length; i++) {
                values.add(parts[i].equals("~") ? null : URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
            }
            if (!parts[0].equals("a") && !parts[0].equals("b")) {
                throw new IllegalArgumentException();
            }
            return new Cursor(parts[0].equals("b"), values, Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Malformed page cursor");
        }
    }
}
