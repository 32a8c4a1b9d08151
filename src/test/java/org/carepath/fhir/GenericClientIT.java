package org.carepath.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import org.carepath.EndToEndTest;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server as HAPI's own client sees it: what an EHR integration built on HAPI would do. */
class GenericClientIT extends EndToEndTest {

    private IGenericClient client() {
        IGenericClient client = FhirContext.forR4Cached().newRestfulGenericClient(baseUrl());
        client.registerInterceptor(new ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor(
                org.carepath.TestTokens.SYSTEM)); // an EHR backend's token
        return client;
    }

    @Test
    void createReadUpdateSearchAndDeleteThroughTheGenericClient() {
        IGenericClient client = client();
        String mrn = unique("mrn");
        Patient patient = new Patient();
        patient.addIdentifier().setSystem("urn:carepath:test:mrn").setValue(mrn);
        patient.addName().setFamily("Client").addGiven("Hapi");
        MethodOutcome created = client.create().resource(patient).execute();
        assertThat(created.getCreated()).isTrue();
        String id = created.getId().getIdPart();

        Patient read = client.read().resource(Patient.class).withId(id).execute();
        assertThat(read.getNameFirstRep().getFamily()).isEqualTo("Client");
        assertThat(read.getIdElement().getVersionIdPart()).isEqualTo("1");

        read.setGender(Enumerations.AdministrativeGender.FEMALE);
        MethodOutcome updated = client.update().resource(read).execute();
        assertThat(updated.getId().getVersionIdPart()).isEqualTo("2");

        // The client sends If-Match from the version it holds; version 1 is stale now.
        read.setId(read.getIdElement().withVersion("1"));
        assertThatThrownBy(() -> client.update().resource(read).withId(read.getIdElement()).execute())
                .isInstanceOf(PreconditionFailedException.class);

        Bundle found = client.search().forResource(Patient.class)
                .where(Patient.IDENTIFIER.exactly().systemAndCode("urn:carepath:test:mrn", mrn))
                .returnBundle(Bundle.class).execute();
        assertThat(found.getTotal()).isEqualTo(1);

        client.delete().resourceById("Patient", id).execute();
        assertThatThrownBy(() -> client.read().resource(Patient.class).withId(id).execute())
                .isInstanceOf(ResourceGoneException.class);
    }

    @Test
    void transactionThroughTheGenericClient() {
        Patient patient = new Patient();
        patient.addName().setFamily(unique("Tx"));
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setResource(patient).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        Bundle response = client().transaction().withBundle(bundle).execute();
        assertThat(response.getEntryFirstRep().getResponse().getStatus()).startsWith("201");
    }

    @Test
    void capabilityStatementIsReadableByTheClient() {
        CapabilityStatement cs = client().capabilities().ofType(CapabilityStatement.class).execute();
        assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
    }
}
