package org.carepath.notify;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Subscription;

/**
 * The HTTP requests of the R4 rest-hook channel: without a payload, an empty POST to the
 * endpoint (also the handshake); with one, the resource PUT to {@code [endpoint]/[type]/[id]} in
 * the payload's format. The channel's headers are added to every request.
 */
final class RestHookRequests {

    /** Headers the JDK client sets itself or refuses; a subscription may not set them. */
    static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "content-type");

    private RestHookRequests() {
    }

    static HttpRequest empty(Subscription subscription, Duration timeout) {
        return builder(URI.create(subscription.getChannel().getEndpoint()), subscription, timeout)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    static HttpRequest withPayload(Subscription subscription, IBaseResource resource, FhirContext fhir, Duration timeout) {
        String payload = subscription.getChannel().getPayload().toLowerCase(Locale.ROOT);
        boolean xml = payload.contains("xml");
        String body = xml ? fhir.newXmlParser().encodeResourceToString(resource)
                : fhir.newJsonParser().encodeResourceToString(resource);
        String endpoint = subscription.getChannel().getEndpoint().replaceAll("/+$", "");
        String type = fhir.getResourceType(resource);
        URI target = URI.create(endpoint + "/" + type + "/" + resource.getIdElement().getIdPart());
        return builder(target, subscription, timeout)
                .header("Content-Type", (xml ? "application/fhir+xml" : "application/fhir+json") + "; charset=UTF-8")
                .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    private static HttpRequest.Builder builder(URI target, Subscription subscription, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target).timeout(timeout);
        for (var header : subscription.getChannel().getHeader()) {
            String value = header.getValue();
            int colon = value.indexOf(':');
            builder.header(value.substring(0, colon).trim(), value.substring(colon + 1).trim());
        }
        return builder;
    }
}
