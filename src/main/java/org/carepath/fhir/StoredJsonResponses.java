package org.carepath.fhir;

import java.io.IOException;
import java.io.Writer;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IRestfulResponse;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.server.RestfulServerUtils;
import ca.uhn.fhir.rest.server.RestfulServerUtils.ResponseEncoding;
import org.carepath.interaction.ResourceCodec;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Basic;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

/**
 * Answers reads, searches, history and {@code $everything} with the JSON text the store holds for
 * each resource, instead of encoding the parsed resources again: encoding was 40 % of a read's
 * CPU and a quarter of a search's (docs/performance.md, "Reads"). A Bundle is still encoded by
 * HAPI, with a placeholder in each stored entry's place that the stored text then replaces.
 * <p>
 * It runs after every other outgoing-response hook, so authorization and the audit trail have
 * seen the resources, and only where HAPI would write the same bytes: JSON, not pretty-printed,
 * no {@code _summary}, {@code _elements} or {@code _count=0}, and no absolute reference to this
 * server's own base (HAPI's encoder makes those relative). Rows stored before V006 hold jsonb's
 * text, with its own key order: those are encoded as before, until their next version. The
 * headers are those HAPI's {@code RestfulServerUtils.streamResponseAsResource} would send. The
 * CapabilityStatement, which the store does not hold, is answered with its encoding kept from the
 * previous request, as long as HAPI serves the same statement.
 * <p>
 * Where it will answer so, and nothing else reads the content (the audit trail takes each stored
 * resource's patients from its row), the resources are not even parsed: {@link #resourcesFor}.
 */
@Interceptor
class StoredJsonResponses {

    /** How HAPI's JSON encoder, and so every body stored since V006, begins. */
    private static final String HAPI_JSON_START = "{\"resourceType\":\"";
    private static final Set<RestOperationTypeEnum> SERVED = Set.of(RestOperationTypeEnum.READ,
            RestOperationTypeEnum.VREAD, RestOperationTypeEnum.SEARCH_TYPE, RestOperationTypeEnum.SEARCH_SYSTEM,
            RestOperationTypeEnum.GET_PAGE, RestOperationTypeEnum.HISTORY_INSTANCE,
            RestOperationTypeEnum.HISTORY_TYPE, RestOperationTypeEnum.HISTORY_SYSTEM);
    /**
     * HTTP's date (RFC 9110, IMF-fixdate), as HAPI's {@code DateUtils.formatDate} writes it; its
     * SimpleDateFormat was 3.7 % of the request threads' samples in reads (docs/performance.md, session 18).
     */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);
    /** Parameters that change how HAPI encodes a response. */
    private static final Set<String> ENCODING_PARAMETERS = Set.of(Constants.PARAM_SUMMARY, Constants.PARAM_ELEMENTS,
            Constants.PARAM_ELEMENTS + Constants.PARAM_ELEMENTS_EXCLUDE_MODIFIER, Constants.PARAM_PRETTY,
            Constants.PARAM_NARRATIVE);

    private record EncodedStatement(IBaseResource statement, String base, String json) {
    }

    /** The last CapabilityStatement answered, with its encoding for the base it was answered to. */
    private volatile EncodedStatement encodedStatement;
    private final ResourceInteractions interactions;

    StoredJsonResponses(ResourceInteractions interactions) {
        this.interactions = interactions;
    }

    /**
     * How a response to this request makes resources of stored rows: unparsed (type, id, meta,
     * stored text and patients) where this interceptor will answer with the stored text and no
     * other interceptor reads the content ({@link ResourceCodec#PARSED_RESPONSE}), else parsed.
     */
    static Function<StoredResource, IBaseResource> resourcesFor(RequestDetails request, ResourceInteractions interactions) {
        if (request == null || !served(request) || encodedAsStored(request) == null
                || request.getUserData().get(ResourceCodec.PARSED_RESPONSE) != null) {
            return interactions::decode;
        }
        String base = request.getFhirServerBase();
        return row -> row.patientIds() != null && answerable(row.json(), base)
                ? interactions.unparsed(row) : interactions.decode(row);
    }

    /** After every other hook; not Integer.MAX_VALUE: HAPI orders hooks by subtracting their orders. */
    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = 10_000)
    public boolean respond(RequestDetails request, ResponseDetails details) throws IOException {
        IBaseResource resource = details.getResponseResource();
        boolean metadata = request.getRestOperationType() == RestOperationTypeEnum.METADATA;
        ResponseEncoding encoding = resource == null || !(metadata || served(request)) ? null : encodedAsStored(request);
        String base = request.getFhirServerBase();
        String json = encoding == null ? null
                : metadata ? capabilityStatement(resource, request, base)
                : resource instanceof Bundle bundle ? withStoredEntries(bundle, request, base)
                : stored(resource, base).orElse(null);
        if (json == null) {
            parseUnparsed(details); // HAPI encodes the response: it needs the content
            return true;
        }
        write(request, details.getResponseCode(), resource, json, encoding);
        return false;
    }

    /** Gives every unparsed resource of the response (or of its Bundle entries) its content. */
    private void parseUnparsed(ResponseDetails details) {
        IBaseResource resource = details.getResponseResource();
        if (resource instanceof Bundle bundle) {
            for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
                if (entry.getResource() != null && ResourceCodec.isUnparsed(entry.getResource())) {
                    entry.setResource((Resource) interactions.parsed(entry.getResource()));
                }
            }
        } else if (resource != null && ResourceCodec.isUnparsed(resource)) {
            details.setResponseResource(interactions.parsed(resource));
        }
    }

    /**
     * The CapabilityStatement, encoded once per statement HAPI builds (it keeps one for a minute)
     * and base: all 146 resource types' search parameters, half a megabyte that took a loaded
     * server up to a second to encode on every {@code /metadata}.
     */
    private String capabilityStatement(IBaseResource statement, RequestDetails request, String base) {
        EncodedStatement cached = encodedStatement;
        if (cached == null || cached.statement() != statement || !cached.base().equals(base)) {
            cached = new EncodedStatement(statement, base, RestfulServerUtils.getNewParser(
                    request.getServer().getFhirContext(), statement.getStructureFhirVersionEnum(), request)
                    .encodeResourceToString(statement));
            encodedStatement = cached;
        }
        return cached.json();
    }

    private static boolean served(RequestDetails request) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        return SERVED.contains(operation) || (operation == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE
                || operation == RestOperationTypeEnum.EXTENDED_OPERATION_TYPE) && "$everything".equals(request.getOperation());
    }

    /** The response's JSON encoding when HAPI would write the stored text as it is, else null. */
    private static ResponseEncoding encodedAsStored(RequestDetails request) {
        Map<String, String[]> parameters = request.getParameters();
        if (parameters.keySet().stream().anyMatch(ENCODING_PARAMETERS::contains)) {
            return null;
        }
        String[] count = parameters.get(Constants.PARAM_COUNT);
        if (count != null && count.length > 0 && "0".equals(count[0])) {
            return null;
        }
        ResponseEncoding encoding = RestfulServerUtils.determineResponseEncodingWithDefault(request);
        return encoding.getEncoding() == EncodingEnum.JSON
                && !RestfulServerUtils.prettyPrintResponse(request.getServer(), request) ? encoding : null;
    }

    private static Optional<String> stored(IBaseResource resource, String base) {
        return ResourceCodec.storedJson(resource).filter(json -> answerable(json, base));
    }

    /** Whether HAPI's encoder would write the stored text as it is. */
    private static boolean answerable(String json, String base) {
        return json.startsWith(HAPI_JSON_START) && !json.contains("\"" + base + "/");
    }

    /** The Bundle as HAPI encodes it, each stored entry as stored; null when no entry is stored. */
    private static String withStoredEntries(Bundle bundle, RequestDetails request, String base) {
        String token = UUID.randomUUID().toString();
        List<Bundle.BundleEntryComponent> swapped = new ArrayList<>();
        List<Resource> originals = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            Optional<String> json = entry.getResource() == null ? Optional.empty() : stored(entry.getResource(), base);
            if (json.isPresent()) {
                swapped.add(entry);
                originals.add(entry.getResource());
                texts.add(json.get());
                entry.setResource(new Basic().setIdElement(new IdType(placeholderId(token, texts.size()))));
            }
        }
        if (swapped.isEmpty()) {
            return null;
        }
        try {
            String encoded = RestfulServerUtils.getNewParser(request.getServer().getFhirContext(),
                    bundle.getStructureFhirVersionEnum(), request).encodeResourceToString(bundle);
            // A placeholder's text can only occur as structure: inside a JSON string its quotes are escaped.
            StringBuilder out = new StringBuilder(encoded.length() + texts.stream().mapToInt(String::length).sum());
            int from = 0;
            for (int i = 0; i < texts.size(); i++) {
                String placeholder = "{\"resourceType\":\"Basic\",\"id\":\"" + placeholderId(token, i + 1) + "\"}";
                int at = encoded.indexOf(placeholder, from);
                if (at < 0) {
                    return null; // not encoded the way expected: HAPI encodes the whole Bundle instead
                }
                out.append(encoded, from, at).append(texts.get(i));
                from = at + placeholder.length();
            }
            return out.append(encoded, from, encoded.length()).toString();
        } finally {
            for (int i = 0; i < swapped.size(); i++) {
                swapped.get(i).setResource(originals.get(i));
            }
        }
    }

    private static String placeholderId(String token, int number) {
        return token + "." + number;
    }

    private static void write(RequestDetails request, int status, IBaseResource resource, String json,
                              ResponseEncoding encoding) throws IOException {
        IRestfulResponse response = request.getResponse();
        RestOperationTypeEnum operation = request.getRestOperationType();
        IIdType id = resource.getIdElement();
        if (operation != RestOperationTypeEnum.SEARCH_TYPE && operation != RestOperationTypeEnum.SEARCH_SYSTEM
                && id != null && id.hasIdPart()) {
            String type = request.getServer().getFhirContext().getResourceType(resource);
            response.addHeader(Constants.HEADER_CONTENT_LOCATION,
                    id.withServerBase(request.getFhirServerBase(), type).getValue());
        }
        if (operation == RestOperationTypeEnum.READ || operation == RestOperationTypeEnum.VREAD) {
            String version = id != null && id.hasVersionIdPart() ? id.getVersionIdPart() : resource.getMeta().getVersionId();
            if (version != null) {
                response.addHeader(Constants.HEADER_ETAG, RestfulServerUtils.createEtag(version));
            }
        }
        if (resource.getMeta().getLastUpdated() != null) {
            response.addHeader(Constants.HEADER_LAST_MODIFIED, HTTP_DATE.format(resource.getMeta().getLastUpdated().toInstant()));
        }
        Writer writer = response.getResponseWriter(status, encoding.getResourceContentType(),
                Constants.CHARSET_NAME_UTF8, request.isRespondGzip());
        writer.write(json);
        response.commitResponse(writer);
    }
}
