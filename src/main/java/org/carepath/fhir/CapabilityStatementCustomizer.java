package org.carepath.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalDeleteStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalReadStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.ResourceVersionPolicy;

/**
 * Completes what HAPI derives from the providers with what only the server's behaviour shows:
 * versioning, update-as-create and the conditional interactions it supports.
 */
@Interceptor
class CapabilityStatementCustomizer {

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void customize(IBaseConformance generated) {
        CapabilityStatement cs = (CapabilityStatement) generated;
        cs.setName("CarePath").setTitle("CarePath FHIR R4 server").setPublisher("CarePath");
        for (var rest : cs.getRest()) {
            // HAPI lists @Transaction as 'transaction'; the same method processes batches.
            if (rest.getInteraction().stream().noneMatch(i -> i.getCode() == CapabilityStatement.SystemRestfulInteraction.BATCH)) {
                rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH);
            }
            for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
                resource.setVersioning(ResourceVersionPolicy.VERSIONEDUPDATE)
                        .setReadHistory(true)
                        .setUpdateCreate(true)
                        .setConditionalCreate(true)
                        .setConditionalRead(ConditionalReadStatus.NOTSUPPORTED)
                        .setConditionalUpdate(true)
                        .setConditionalDelete(ConditionalDeleteStatus.SINGLE);
            }
        }
    }
}
