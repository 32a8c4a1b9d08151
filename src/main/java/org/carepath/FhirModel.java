package org.carepath;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.parser.StrictErrorHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one FhirContext (R4) that every package shares: building one is expensive. */
@Configuration(proxyBeanMethods = false)
class FhirModel {

    @Bean
    FhirContext fhirContext() {
        FhirContext fhir = FhirContext.forR4();
        // Refuse what a lenient parser would quietly drop or keep: unknown elements, invalid
        // codes and dates. Stored content is read back with a lenient parser.
        fhir.setParserErrorHandler(new StrictErrorHandler());
        // One copy of the core definitions, shared by FHIRPath and the validation chain.
        fhir.setValidationSupport(new DefaultProfileValidationSupport(fhir));
        return fhir;
    }
}
