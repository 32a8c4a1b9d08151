package org.carepath.fhir;

import ca.uhn.fhir.context.FhirContext;
import org.carepath.CarePathProperties;
import org.carepath.interaction.BundleInteractions;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.pathway.PathwayPlans;
import org.carepath.search.SearchParameters;
import org.carepath.security.FhirSecurity;
import org.carepath.validation.ProfileValidator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Mounts the FHIR server at /fhir. */
@Configuration(proxyBeanMethods = false)
class FhirServerConfig {

    @Bean
    ServletRegistrationBean<FhirServer> fhirServlet(FhirContext fhir, CarePathProperties properties,
                                                    ResourceInteractions interactions, BundleInteractions bundles,
                                                    SearchResults searches, SearchParameters parameters,
                                                    ProfileValidator validator, PathwayPlans plans,
                                                    ObjectProvider<BuildProperties> build, FhirSecurity security) {
        String version = build.getIfAvailable() == null ? "dev" : build.getIfAvailable().getVersion();
        FhirServer server = new FhirServer(fhir, properties, interactions, bundles, searches, parameters, validator, plans, version);
        security.registerWith(server); // SMART scopes, patient compartments, audit
        var registration = new ServletRegistrationBean<>(server, "/fhir/*");
        registration.setName(FhirRequestsOutsideMvc.FHIR_SERVLET);
        registration.setLoadOnStartup(1);
        return registration;
    }

    @Bean
    static org.springframework.beans.factory.config.BeanPostProcessor fhirRequestsOutsideMvc(
            org.springframework.context.ApplicationContext context) {
        return FhirRequestsOutsideMvc.replacing(context);
    }
}
