package org.carepath.fhir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.carepath.interaction.ResourceCodec;

/**
 * Checks request bodies before they are parsed: a body must be FHIR JSON or XML (415 otherwise),
 * and XML may not declare a DOCTYPE, which is where external entities and entity expansion live.
 */
@Interceptor
class RequestFormat {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Set<String> FHIR_TYPES = Set.of("application/fhir+json", "application/json",
            "application/json+fhir", "application/fhir+xml", "application/xml", "application/xml+fhir", "text/xml");
    /** Besides FHIR content: PATCH documents and POST /_search forms. */
    private static final Set<String> OTHER_ACCEPTED = Set.of("application/json-patch+json",
            "application/x-www-form-urlencoded");

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public boolean check(RequestDetails request) {
        RequestTypeEnum method = request.getRequestType();
        if (method != RequestTypeEnum.POST && method != RequestTypeEnum.PUT && method != RequestTypeEnum.PATCH) {
            return true;
        }
        if ("Binary".equals(request.getResourceName())) {
            return true; // Binary takes any media type
        }
        String contentType = request.getHeader("Content-Type");
        String mediaType = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        byte[] body = request.loadRequestContents();
        if (body == null || body.length == 0) {
            return true;
        }
        if (!FHIR_TYPES.contains(mediaType) && !OTHER_ACCEPTED.contains(mediaType)) {
            throw new UnclassifiedServerFailureException(415, "Unsupported media type '" + mediaType
                    + "': send application/fhir+json or application/fhir+xml");
        }
        if (mediaType.contains("xml") && containsDoctype(body)) {
            throw new InvalidRequestException("XML with a DOCTYPE declaration is not accepted");
        }
        if (mediaType.contains("json")) {
            checkJsonNumbers(body);
        }
        return true;
    }

    /**
     * Refuses JSON numbers with a huge exponent before HAPI's parser sees them: it expands
     * {@code 1e999999999} digit by digit, and a 30-byte body runs the server out of memory.
     */
    private static void checkJsonNumbers(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.VALUE_NUMBER_FLOAT) {
                    String number = parser.getText();
                    int e = Math.max(number.indexOf('e'), number.indexOf('E'));
                    if (e >= 0 && exponentBeyondRange(number.substring(e + 1))) {
                        throw new InvalidRequestException("Number out of range: '" + number + "'");
                    }
                }
            }
        } catch (IOException malformed) {
            // HAPI's parser reports malformed JSON with its own message
        }
    }

    private static boolean exponentBeyondRange(String exponent) {
        String digits = exponent.startsWith("+") || exponent.startsWith("-") ? exponent.substring(1) : exponent;
        return digits.length() > 4 || Integer.parseInt(digits) > ResourceCodec.MAX_DECIMAL_EXPONENT;
    }

    private static boolean containsDoctype(byte[] body) {
        return new String(body, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).contains("<!DOCTYPE");
    }
}
