package org.carepath.interaction;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import ca.uhn.fhir.rest.api.PreferReturnEnum;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.BundleEntryRequestComponent;
import org.hl7.fhir.r4.model.Bundle.BundleType;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Service;

/**
 * Batch and transaction Bundles. A transaction runs in one database transaction: its entries are
 * resolved first (server ids for new resources, conditional matches), then every reference to a
 * {@code fullUrl} in the Bundle is rewritten to the resolved id, and only then is anything written.
 */
@Service
public class BundleInteractions {

    private final ResourceInteractions resources;
    private final TransactionRunner transactions;
    private final Function<String, IBaseResource> getHandler;

    /**
     * @param getHandler answers the GET entries of a Bundle ({@code Patient/1}, {@code Patient?name=x})
     *                   the same way the REST API would; supplied by the HTTP face
     */
    public BundleInteractions(ResourceInteractions resources, TransactionRunner transactions,
                              BundleGetHandler getHandler) {
        this.resources = resources;
        this.transactions = transactions;
        this.getHandler = getHandler::get;
    }

    public Bundle process(Bundle bundle, PreferReturnEnum prefer) {
        if (bundle.getType() == BundleType.TRANSACTION) {
            return transaction(bundle, prefer);
        }
        if (bundle.getType() == BundleType.BATCH) {
            return batch(bundle, prefer);
        }
        throw new InvalidRequestException("Bundle.type must be 'transaction' or 'batch' to be processed, not '"
                + (bundle.getType() == null ? "(missing)" : bundle.getType().toCode()) + "'");
    }

    private Bundle batch(Bundle bundle, PreferReturnEnum prefer) {
        Bundle response = new Bundle().setType(BundleType.BATCHRESPONSE);
        for (int i = 0; i < bundle.getEntry().size(); i++) {
            BundleEntryComponent entry = bundle.getEntry().get(i);
            BundleEntryComponent out;
            try {
                Planned plan = plan(entry, i, new HashMap<>());
                out = transactions.write(() -> execute(plan, prefer));
            } catch (BaseServerResponseException e) {
                out = failure(e);
            }
            response.addEntry(out);
        }
        return response;
    }

    private Bundle transaction(Bundle given, PreferReturnEnum prefer) {
        return transactions.write(() -> {
            // Each attempt works on its own copy: an attempt the database aborted (a deadlock) has
            // already given ids and rewritten references, which the retry must not inherit.
            Bundle bundle = given.copy();
            Map<String, String> resolved = new HashMap<>();
            List<Planned> plans = new ArrayList<>();
            Set<String> targets = new HashSet<>();
            for (int i = 0; i < bundle.getEntry().size(); i++) {
                int index = i;
                Planned plan = at(i, () -> plan(bundle.getEntry().get(index), index, resolved));
                if (plan.target != null && plan.method != HTTPVerb.GET && !targets.add(plan.target)) {
                    throw new InvalidRequestException("Transaction entry " + i + ": " + plan.target
                            + " is the target of more than one entry");
                }
                plans.add(plan);
            }
            for (Planned plan : plans) {
                if (plan.resource != null) {
                    at(plan.index, () -> rewriteReferences(plan.resource, resolved));
                }
            }
            BundleEntryComponent[] results = new BundleEntryComponent[plans.size()];
            for (HTTPVerb method : new HTTPVerb[] {HTTPVerb.DELETE, HTTPVerb.POST, HTTPVerb.PUT, HTTPVerb.GET}) {
                for (Planned plan : plans) {
                    if (plan.method == method) {
                        results[plan.index] = at(plan.index, () -> execute(plan, prefer));
                    }
                }
            }
            Bundle response = new Bundle().setType(BundleType.TRANSACTIONRESPONSE);
            for (BundleEntryComponent result : results) {
                response.addEntry(result);
            }
            return response;
        });
    }

    /** What one entry will do, with its target id settled. */
    private static final class Planned {
        int index;
        HTTPVerb method;
        String type;
        String id;
        String target;
        String url;
        Integer ifMatch;
        IBaseResource resource;
        WriteResult matched;
        boolean create;
    }

    private Planned plan(BundleEntryComponent entry, int index, Map<String, String> resolved) {
        BundleEntryRequestComponent request = entry.getRequest();
        if (request.getMethod() == null || request.getMethod() == HTTPVerb.NULL || !request.hasUrl()) {
            throw new InvalidRequestException("Bundle entry " + index + " needs request.method and request.url");
        }
        Planned plan = new Planned();
        plan.index = index;
        plan.method = request.getMethod();
        plan.url = stripBase(request.getUrl());
        plan.ifMatch = request.hasIfMatch() ? parseETag(request.getIfMatch()) : null;
        plan.resource = entry.getResource();
        switch (plan.method) {
            case POST -> {
                requireResource(plan);
                plan.type = resources.typeOf(plan.resource);
                String urlType = plan.url.contains("?") ? plan.url.substring(0, plan.url.indexOf('?')) : plan.url;
                if (!urlType.equals(plan.type)) {
                    throw new InvalidRequestException("A POST of a " + plan.type + " must go to '" + plan.type
                            + "', not '" + plan.url + "'");
                }
                if (request.hasIfNoneExist()) {
                    plan.matched = resources.matchOne(plan.type, request.getIfNoneExist(), "create")
                            .map(found -> new WriteResult(WriteResult.Outcome.MATCHED, found.type(), found.id(),
                                    found.version(), found.lastUpdated(), resources.decode(found)))
                            .orElse(null);
                }
                plan.id = plan.matched != null ? plan.matched.id() : resources.newId();
                plan.create = plan.matched == null;
            }
            case PUT -> {
                requireResource(plan);
                plan.type = resources.typeOf(plan.resource);
                int question = plan.url.indexOf('?');
                if (question >= 0) {
                    checkType(plan, plan.url.substring(0, question));
                    var found = resources.matchOne(plan.type, plan.url.substring(question + 1), "update");
                    String bodyId = plan.resource.getIdElement().getIdPart();
                    plan.id = found.map(f -> f.id()).orElse(bodyId != null ? bodyId : resources.newId());
                    plan.create = found.isEmpty() && bodyId == null;
                    plan.resource.setId(plan.type + "/" + plan.id);
                } else {
                    String[] parts = typeAndId(plan.url, index);
                    checkType(plan, parts[0]);
                    plan.id = parts[1];
                    ResourceInteractions.checkId(plan.id);
                    String bodyId = plan.resource.getIdElement().getIdPart();
                    if (bodyId != null && !bodyId.equals(plan.id)) {
                        throw new InvalidRequestException("The resource id in the body (" + bodyId
                                + ") does not match the id in request.url (" + plan.id + ")");
                    }
                    plan.resource.setId(plan.type + "/" + plan.id);
                }
            }
            case DELETE -> {
                int question = plan.url.indexOf('?');
                if (question >= 0) {
                    plan.type = plan.url.substring(0, question);
                    plan.id = resources.matchOne(plan.type, plan.url.substring(question + 1), "delete")
                            .map(f -> f.id()).orElse(null);
                } else {
                    String[] parts = typeAndId(plan.url, index);
                    plan.type = parts[0];
                    plan.id = parts[1];
                }
            }
            case GET, HEAD -> plan.method = HTTPVerb.GET;
            default -> throw new InvalidRequestException("Bundle entry " + index + ": method "
                    + plan.method.toCode() + " is not supported");
        }
        if (plan.id != null) {
            plan.target = plan.type + "/" + plan.id;
            if (entry.hasFullUrl() && plan.method != HTTPVerb.DELETE) {
                resolved.put(entry.getFullUrl(), plan.target);
            }
        }
        return plan;
    }

    private BundleEntryComponent execute(Planned plan, PreferReturnEnum prefer) {
        BundleEntryComponent out = new BundleEntryComponent();
        switch (plan.method) {
            case POST -> {
                WriteResult result = plan.matched != null ? plan.matched
                        : resources.createWithId(plan.type, plan.id, plan.resource);
                respond(out, result, result.created() ? "201 Created" : "200 OK", prefer);
            }
            case PUT -> {
                resources.typeOf(plan.resource);
                WriteResult result = plan.create
                        ? resources.createWithId(plan.type, plan.id, plan.resource)
                        : resources.update(plan.type, plan.id, plan.resource, plan.ifMatch);
                respond(out, result, result.created() ? "201 Created" : "200 OK", prefer);
            }
            case DELETE -> {
                if (plan.id != null) {
                    resources.delete(plan.type, plan.id);
                }
                out.getResponse().setStatus("204 No Content");
            }
            case GET -> {
                IBaseResource result = getHandler.apply(plan.url);
                out.setResource((Resource) result);
                out.getResponse().setStatus("200 OK");
                if (result.getIdElement().hasVersionIdPart() && !(result instanceof Bundle)) {
                    out.getResponse().setEtag("W/\"" + result.getIdElement().getVersionIdPart() + "\"");
                }
            }
            default -> throw new IllegalStateException();
        }
        return out;
    }

    private static void respond(BundleEntryComponent out, WriteResult result, String status, PreferReturnEnum prefer) {
        out.getResponse().setStatus(status)
                .setLocation(result.type() + "/" + result.id() + "/_history/" + result.version())
                .setEtag("W/\"" + result.version() + "\"")
                .setLastModified(Date.from(result.lastUpdated()));
        if (prefer == PreferReturnEnum.OPERATION_OUTCOME) {
            out.getResponse().setOutcome(information(status + ": " + result.type() + "/" + result.id()));
        } else if (prefer != PreferReturnEnum.MINIMAL) {
            out.setFullUrl(result.type() + "/" + result.id());
            out.setResource((Resource) result.resource());
        }
    }

    private static BundleEntryComponent failure(BaseServerResponseException e) {
        BundleEntryComponent out = new BundleEntryComponent();
        out.getResponse().setStatus(Integer.toString(e.getStatusCode()))
                .setOutcome(outcome(e));
        return out;
    }

    private static Resource outcome(BaseServerResponseException e) {
        IBaseOperationOutcome given = e.getOperationOutcome();
        if (given instanceof OperationOutcome oo) {
            return oo;
        }
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR)
                .setCode(OperationOutcome.IssueType.PROCESSING).setDiagnostics(e.getMessage());
        return oo;
    }

    private static OperationOutcome information(String text) {
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                .setCode(OperationOutcome.IssueType.INFORMATIONAL).setDiagnostics(text);
        return oo;
    }

    /** Points references to Bundle entries (by fullUrl) at the ids those entries were given. */
    private void rewriteReferences(IBaseResource resource, Map<String, String> resolved) {
        var terser = resources.fhirTerser();
        for (Reference ref : terser.getAllPopulatedChildElementsOfType(resource, Reference.class)) {
            String target = ref.getReference();
            if (target == null) {
                continue;
            }
            String id = resolved.get(target);
            if (id != null) {
                ref.setReference(id);
            } else if (target.startsWith("urn:uuid:") || target.startsWith("urn:oid:")) {
                throw new InvalidRequestException("Reference " + target + " names no entry of this transaction");
            } else if (target.contains("?")) {
                String type = target.substring(0, target.indexOf('?'));
                String criteria = target.substring(target.indexOf('?') + 1);
                var match = resources.matchOne(type, criteria, "reference");
                ref.setReference(match.map(m -> type + "/" + m.id()).orElseThrow(() ->
                        new InvalidRequestException("Conditional reference " + target + " matches no resource")));
            }
        }
    }

    private void checkType(Planned plan, String urlType) {
        if (!urlType.equals(plan.type)) {
            throw new InvalidRequestException("Bundle entry " + plan.index + ": request.url '" + plan.url
                    + "' does not name the entry's resource type " + plan.type);
        }
    }

    private void requireResource(Planned plan) {
        if (plan.resource == null) {
            throw new InvalidRequestException("Bundle entry " + plan.index + ": " + plan.method.toCode()
                    + " needs a resource");
        }
        resources.rejectUnstorableText(plan.resource);
    }

    private static String[] typeAndId(String url, int index) {
        String[] parts = url.split("/");
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new InvalidRequestException("Bundle entry " + index + ": request.url must be [type]/[id] or [type]?[criteria], not '"
                    + url + "'");
        }
        return parts;
    }

    private static String stripBase(String url) {
        String u = url.startsWith("/") ? url.substring(1) : url;
        int fhir = u.indexOf("/fhir/");
        return u.contains("://") && fhir >= 0 ? u.substring(fhir + "/fhir/".length()) : u;
    }

    static Integer parseETag(String etag) {
        String v = etag.trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        v = v.replace("\"", "");
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Malformed ETag '" + etag + "': expected W/\"<version>\"");
        }
    }

    /** Runs one entry's step, naming the entry in any error it raises. */
    private static <T> T at(int index, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (BaseServerResponseException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("Bundle entry")) {
                throw e;
            }
            UnclassifiedServerFailureException named = new UnclassifiedServerFailureException(e.getStatusCode(),
                    "Bundle entry " + index + ": " + e.getMessage());
            throw named;
        }
    }

    private static void at(int index, Runnable step) {
        at(index, () -> {
            step.run();
            return null;
        });
    }
}
