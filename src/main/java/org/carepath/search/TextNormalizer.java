package org.carepath.search;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** Folds text the way string search compares it: case- and accent-insensitive. */
final class TextNormalizer {

    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    private TextNormalizer() {
    }

    static String normalize(String text) {
        String decomposed = Normalizer.normalize(text, Normalizer.Form.NFD);
        return MARKS.matcher(decomposed).replaceAll("").toLowerCase(Locale.ROOT);
    }
}
