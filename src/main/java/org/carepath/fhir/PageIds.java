package org.carepath.fhir;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/**
 * Page links carry everything needed to rebuild their result set, so any replica can serve the
 * next page and nothing is held in memory between requests.
 */
final class PageIds {

    private PageIds() {
    }

    static String encode(String kind, String... parts) {
        String joined = kind + "\n" + String.join("\n", parts);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(joined.getBytes(StandardCharsets.UTF_8));
    }

    /** The kind, then the parts, as given to {@link #encode}. */
    static String[] decode(String pageId) {
        try {
            return new String(Base64.getUrlDecoder().decode(pageId), StandardCharsets.UTF_8).split("\n", -1);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("Unknown or malformed page link");
        }
    }
}
