package org.carepath.fhir;

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

/**
 * Checks request bodies before they are parsed: a body must be FHIR JSON or XML (415 otherwise),
 * and XML may not declare a DOCTYPE, which is where external entities and entity expansion live.
 */
@Interceptor
class RequestFormat {

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
        return true;
    }

    private static boolean containsDoctype(byte[] body) {
        return new String(body, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).contains("<!DOCTYPE");
    }
}
