package org.carepath;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.parser.StrictErrorHandler;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one FhirContext (R4) that every package shares: building one is expensive. Its model scan
 * (every resource type's definition) and the core StructureDefinitions take seconds of CPU, so a
 * thread started with the JVM does them while Spring starts: the scan is needed by the FHIR server
 * at start-up, the core definitions by the first write and the validation chain.
 */
@Configuration(proxyBeanMethods = false)
class FhirModel {

    /** Started by {@link CarePathApplication#main}, before Spring; taken by the first context. */
    private static volatile FhirContext prepared;

    /** Starts the model scan and the loading of the core definitions on a background thread. */
    static void prepareInBackground() {
        prepared = newContext();
    }

    @Bean
    FhirContext fhirContext() {
        FhirContext early = prepared;
        prepared = null;
        return early != null ? early : newContext();
    }

    private static FhirContext newContext() {
        FhirContext fhir = FhirContext.forR4();
        // Refuse what a lenient parser would quietly drop or keep: unknown elements, invalid
        // codes and dates. Stored content is read back with a lenient parser.
        fhir.setParserErrorHandler(new StrictErrorHandler());
        // One copy of the core definitions, shared by FHIRPath and the validation chain.
        CoreDefinitions core = new CoreDefinitions(fhir);
        fhir.setValidationSupport(core);
        Thread warmUp = new Thread(() -> {
            try {
                for (String type : fhir.getResourceTypes()) {
                    fhir.getResourceDefinition(type);
                }
            } catch (RuntimeException e) {
                // the same error is raised again where the type is used
            }
            core.load();
        }, "fhir-model-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
        return fhir;
    }

    /**
     * HAPI's core definitions, loaded once by the warm-up thread: HAPI does not guard their lazy
     * loading, so a reader that came first would parse the same files a second time beside it.
     */
    static final class CoreDefinitions extends DefaultProfileValidationSupport {

        private final CompletableFuture<Void> loaded = new CompletableFuture<>();

        CoreDefinitions(FhirContext fhir) {
            super(fhir);
        }

        void load() {
            try {
                super.fetchAllStructureDefinitions();
                loaded.complete(null);
            } catch (RuntimeException | Error e) {
                loaded.completeExceptionally(e);
            }
        }

        /** Waits for the warm-up; had it failed, the caller loads the files itself and sees why. */
        private void awaitLoaded() {
            loaded.exceptionally(failure -> null).join();
        }

        @Override
        public List<IBaseResource> fetchAllConformanceResources() {
            awaitLoaded();
            return super.fetchAllConformanceResources();
        }

        @Override
        public <T extends IBaseResource> List<T> fetchAllStructureDefinitions() {
            awaitLoaded();
            return super.fetchAllStructureDefinitions();
        }

        @Override
        public <T extends IBaseResource> List<T> fetchAllNonBaseStructureDefinitions() {
            awaitLoaded();
            return super.fetchAllNonBaseStructureDefinitions();
        }

        @Override
        public IBaseResource fetchStructureDefinition(String theUrl) {
            awaitLoaded();
            return super.fetchStructureDefinition(theUrl);
        }
    }
}
