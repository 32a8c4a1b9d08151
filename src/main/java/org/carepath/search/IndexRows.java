package org.carepath.search;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The index rows of one resource, grouped by table. */
final class IndexRows {

    /**
     * Characters of a value that is part of a composite btree key (token code and system,
     * reference target): PostgreSQL refuses index rows over 2,704 bytes, and two of these at
     * three bytes a character stay below that. Searches clip their values alike.
     */
    static final int MAX_KEY = 400;

    static String clipKey(String value) {
        return value == null || value.length() <= MAX_KEY ? value : value.substring(0, MAX_KEY);
    }

    record Str(String param, String value, String norm) { }

    record Token(String param, String system, String code, String display) {
        Token {
            system = clipKey(system);
            code = clipKey(code);
        }
    }

    record Date(String param, Instant low, Instant high) { }

    record Num(String param, BigDecimal value) { }

    record Quantity(String param, BigDecimal value, String system, String code) { }

    record Ref(String param, String targetType, String targetId, String url) {
        Ref {
            targetType = clipKey(targetType);
            targetId = clipKey(targetId);
        }
    }

    record Uri(String param, String value) { }

    final List<Str> strings = new ArrayList<>();
    final List<Token> tokens = new ArrayList<>();
    final List<Date> dates = new ArrayList<>();
    final List<Num> numbers = new ArrayList<>();
    final List<Quantity> quantities = new ArrayList<>();
    final List<Ref> references = new ArrayList<>();
    final List<Uri> uris = new ArrayList<>();
}
