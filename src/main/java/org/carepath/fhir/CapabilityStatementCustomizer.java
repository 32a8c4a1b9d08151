package org.carepath.fhir;

import java.util.Comparator;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import org.carepath.search.SearchParam;
import org.carepath.search.SearchParameters;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalDeleteStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalReadStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.ResourceVersionPolicy;
import org.hl7.fhir.r4.model.StringType;

/**
 * Completes what HAPI derives from the providers with what only the server's behaviour shows:
 * versioning, update-as-create, the conditional interactions, and each type's search parameters,
 * includes and revincludes.
 */
@Interceptor
class CapabilityStatementCustomizer {

    private final SearchParameters parameters;

    CapabilityStatementCustomizer(SearchParameters parameters) {
        this.parameters = parameters;
    }

    /** The parameters, includes and revincludes a type's search understands. */
    private void describeSearch(CapabilityStatementRestResourceComponent resource, String type) {
        resource.getSearchParam().clear();
        resource.getSearchInclude().clear();
        resource.getSearchRevInclude().clear();
        resource.addSearchParam().setName("_id").setType(Enumerations.SearchParamType.TOKEN);
        resource.addSearchParam().setName("_lastUpdated").setType(Enumerations.SearchParamType.DATE);
        for (SearchParam param : parameters.forResourceType(type)) {
            resource.addSearchParam().setName(param.name())
                    .setType(Enumerations.SearchParamType.fromCode(param.type().getCode()));
            if (param.type() == RestSearchParameterTypeEnum.REFERENCE) {
                resource.addSearchInclude(type + ":" + param.name());
            }
        }
        resource.addSearchInclude(type + ":*");
        for (String source : parameters.resourceTypes()) {
            for (SearchParam param : parameters.forResourceType(source)) {
                if (param.type() == RestSearchParameterTypeEnum.REFERENCE
                        && (param.targets().isEmpty() || param.targets().contains(type))) {
                    resource.addSearchRevInclude(source + ":" + param.name());
                }
            }
        }
        // In name order: HAPI's own order of a type's parameters depends on how its model was
        // scanned, and the same server should describe itself the same way on every start.
        resource.getSearchParam().sort(Comparator.comparing(CapabilityStatement.CapabilityStatementRestResourceSearchParamComponent::getName));
        resource.getSearchInclude().sort(Comparator.comparing(StringType::getValue));
        resource.getSearchRevInclude().sort(Comparator.comparing(StringType::getValue));
    }

    /** System-level search takes the parameters every type has, and _type. */
    private void describeSystemSearch(CapabilityStatement.CapabilityStatementRestComponent rest) {
        rest.getSearchParam().clear();
        rest.addSearchParam().setName("_id").setType(Enumerations.SearchParamType.TOKEN);
        rest.addSearchParam().setName("_lastUpdated").setType(Enumerations.SearchParamType.DATE);
        for (SearchParam param : parameters.forResourceType("Patient")) {
            if (parameters.findCommon(parameters.resourceTypes(), param.name()).isPresent()) {
                rest.addSearchParam().setName(param.name())
                        .setType(Enumerations.SearchParamType.fromCode(param.type().getCode()));
            }
        }
        rest.addSearchParam().setName("_type").setType(Enumerations.SearchParamType.TOKEN)
                .setDocumentation("The resource types to search (comma-separated); without it, all types");
        // In name order, as each type's (describeSearch): Patient's parameters come in HAPI's scan order.
        rest.getSearchParam().sort(Comparator.comparing(CapabilityStatement.CapabilityStatementRestResourceSearchParamComponent::getName));
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void customize(IBaseConformance generated) {
        CapabilityStatement cs = (CapabilityStatement) generated;
        cs.setName("CarePath").setTitle("CarePath FHIR R4 server").setPublisher("CarePath");
        // The parser and encoder are JSON and XML only: no RDF library is on the class path.
        cs.getFormat().removeIf(f -> f.getValue() != null && (f.getValue().contains("turtle") || f.getValue().equals("ttl")));
        for (var rest : cs.getRest()) {
            // HAPI lists @Transaction as 'transaction'; the same method processes batches. It does
            // not list the system-level @Search of SystemProvider.
            if (rest.getInteraction().stream().noneMatch(i -> i.getCode() == CapabilityStatement.SystemRestfulInteraction.BATCH)) {
                rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH);
            }
            if (rest.getInteraction().stream().noneMatch(i -> i.getCode() == CapabilityStatement.SystemRestfulInteraction.SEARCHSYSTEM)) {
                rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.SEARCHSYSTEM);
            }
            describeSystemSearch(rest);
            for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
                resource.setVersioning(ResourceVersionPolicy.VERSIONEDUPDATE)
                        .setReadHistory(true)
                        .setUpdateCreate(true)
                        .setConditionalCreate(true)
                        .setConditionalRead(ConditionalReadStatus.NOTSUPPORTED)
                        .setConditionalUpdate(true)
                        .setConditionalDelete(ConditionalDeleteStatus.SINGLE);
                describeSearch(resource, resource.getType());
            }
        }
    }
}
