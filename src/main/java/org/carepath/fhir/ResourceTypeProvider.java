package org.carepath.fhir;

import ca.uhn.fhir.rest.annotation.At;
import ca.uhn.fhir.rest.annotation.ConditionalUrlParam;
import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.Delete;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Since;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.annotation.Validate;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.WriteResult;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * The type-level and instance-level REST interactions, one instance per resource type: the same
 * code serves every type, so every type behaves alike.
 */
class ResourceTypeProvider implements IResourceProvider {

    private final Class<? extends IBaseResource> resourceClass;
    private final String type;
    private final ResourceInteractions interactions;
    private final SearchResults searches;
    private final int maxPageSize;
    private final ProfileValidator validator;

    ResourceTypeProvider(Class<? extends IBaseResource> resourceClass, String type,
                         ResourceInteractions interactions, SearchResults searches, int maxPageSize,
                         ProfileValidator validator) {
        this.validator = validator;
        this.maxPageSize = maxPageSize;
        this.resourceClass = resourceClass;
        this.type = type;
        this.interactions = interactions;
        this.searches = searches;
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
        return resourceClass;
    }

    @Read(version = true)
    public IBaseResource read(@IdParam IIdType id, RequestDetails request) {
        return id.hasVersionIdPart()
                ? interactions.vread(type, id.getIdPart(), id.getVersionIdPart())
                : StoredJsonResponses.resourcesFor(request, interactions).apply(interactions.readStored(type, id.getIdPart()));
    }

    @Create
    public MethodOutcome create(@ResourceParam IBaseResource resource, @ConditionalUrlParam String ifNoneExist) {
        return outcome(interactions.create(resource, criteriaOf(ifNoneExist)));
    }

    @Update
    public MethodOutcome update(@IdParam IIdType id, @ResourceParam IBaseResource resource,
                                @ConditionalUrlParam String conditionalUrl, RequestDetails request) {
        Integer ifMatch = id != null && id.hasVersionIdPart() ? Versions.parse(id.getVersionIdPart()) : null;
        String ifMatchHeader = request.getHeader("If-Match");
        if (ifMatch == null && ifMatchHeader != null && !ifMatchHeader.isBlank()) {
            // HAPI finds no version in it (If-Match: ""): refusing beats writing without the check asked for
            throw new ca.uhn.fhir.rest.server.exceptions.InvalidRequestException("Malformed If-Match '"
                    + ifMatchHeader + "': expected W/\"<version>\"");
        }
        WriteResult result = conditionalUrl != null && (id == null || !id.hasIdPart())
                ? interactions.conditionalUpdate(type, criteriaOf(conditionalUrl), resource, ifMatch)
                : interactions.update(type, id.getIdPart(), resource, ifMatch);
        if (result.created() && request instanceof ServletRequestDetails servlet) {
            // HAPI adds Location only to POST; FHIR wants it on an update that creates, too.
            servlet.getServletResponse().addHeader("Location", request.getFhirServerBase()
                    + "/" + type + "/" + result.id() + "/_history/" + result.version());
        }
        return outcome(result);
    }

    @Delete
    public MethodOutcome delete(@IdParam IIdType id, @ConditionalUrlParam String conditionalUrl) {
        WriteResult result = conditionalUrl != null && (id == null || !id.hasIdPart())
                ? interactions.conditionalDelete(type, criteriaOf(conditionalUrl))
                : interactions.delete(type, id.getIdPart());
        MethodOutcome outcome = new MethodOutcome();
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                .setDiagnostics(result.outcome() == WriteResult.Outcome.DELETED
                        ? "Deleted " + type + "/" + result.id() + " (version " + result.version() + ")"
                        : "Nothing to delete: no live resource matched");
        outcome.setOperationOutcome(oo);
        if (result.id() != null && result.version() > 0) {
            outcome.setId(new IdType(type, result.id(), Integer.toString(result.version())));
        }
        return outcome;
    }

    @History
    public IBundleProvider historyInstance(@IdParam IIdType id, @Since InstantType since, @At DateRangeParam at,
                                           RequestDetails request) {
        interactions.requireExisted(type, id.getIdPart());
        return HistoryPages.of(interactions, type, id.getIdPart(), since, at, request, maxPageSize);
    }

    @History
    public IBundleProvider historyType(@Since InstantType since, @At DateRangeParam at,
                                           RequestDetails request) {
        return HistoryPages.of(interactions, type, null, since, at, request, maxPageSize);
    }

    /**
     * $validate at type level (the resource in the body) or instance level (the body, or else the
     * stored resource); answers 200 with the issues found, errors included.
     */
    @Validate
    public MethodOutcome validate(@ResourceParam IBaseResource resource, @IdParam(optional = true) IIdType id,
                                  @Validate.Profile String profile) {
        IBaseResource subject = resource;
        if (subject == null && id != null && id.hasIdPart()) {
            subject = interactions.read(type, id.getIdPart());
        }
        if (subject == null) {
            throw new ca.uhn.fhir.rest.server.exceptions.InvalidRequestException(
                    "$validate needs a resource: in the body, or as the 'resource' parameter");
        }
        MethodOutcome outcome = new MethodOutcome();
        outcome.setOperationOutcome(validator.validate(subject, profile));
        return outcome;
    }

    @Search(allowUnknownParams = true)
    public IBundleProvider search(RequestDetails request) {
        return searches.search(type, request);
    }

    private static MethodOutcome outcome(WriteResult result) {
        MethodOutcome outcome = new MethodOutcome();
        outcome.setId(new IdType(result.type(), result.id(), Integer.toString(result.version())));
        outcome.setResource(result.resource());
        outcome.setCreated(result.created());
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                .setDiagnostics(switch (result.outcome()) {
                    case CREATED -> "Created " + result.type() + "/" + result.id();
                    case MATCHED -> "A matching resource exists already: " + result.type() + "/" + result.id()
                            + "; nothing was created";
                    default -> "Updated " + result.type() + "/" + result.id() + " to version " + result.version();
                });
        outcome.setOperationOutcome(oo);
        return outcome;
    }

    /** HAPI hands over the whole conditional URL ({@code Patient?identifier=x}); keep the query. */
    private static String criteriaOf(String conditionalUrl) {
        if (conditionalUrl == null) {
            return null;
        }
        int question = conditionalUrl.indexOf('?');
        return question >= 0 ? conditionalUrl.substring(question + 1) : conditionalUrl;
    }
}
