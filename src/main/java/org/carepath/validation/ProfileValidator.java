package org.carepath.validation;

import java.util.concurrent.ExecutionException;
import java.util.List;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationResult;
import org.carepath.BackgroundBuild;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * The server's use of the one validation chain: $validate, and the write-time checks. The chain
 * takes 10-20 s to build, so it is built in the background once the application has started
 * (built during start-up, it slowed start-up down by competing for the CPU on small machines);
 * the first request that needs it waits for it, or starts it if it comes earlier.
 */
@Service
public class ProfileValidator {

    private static final Logger log = LoggerFactory.getLogger(ProfileValidator.class);

    private final FhirContext fhir;
    private final ConformanceResources content;
    private final BackgroundBuild<FhirValidation> validation = new BackgroundBuild<>("validation-chain", this::build);

    public ProfileValidator(FhirContext fhir) {
        this.fhir = fhir;
        this.content = new ConformanceResources(fhir);
    }

    @EventListener(ApplicationReadyEvent.class)
    public void buildInBackground() {
        validation.start();
    }

    private FhirValidation build() {
        long start = System.nanoTime();
        FhirValidation built = new FhirValidation(fhir, content);
        built.warmUp();
        log.info("Validation chain ready in {} ms", (System.nanoTime() - start) / 1_000_000);
        return built;
    }

    /** The pathway's conformance resources (profiles, terminology, definitions, questionnaires). */
    public ConformanceResources content() {
        return content;
    }

    /** Validates against the core specification, the declared profiles and, if given, one more profile. */
    public OperationOutcome validate(IBaseResource resource, String profile) {
        FhirValidation chain = chain();
        if (profile != null && !profile.isBlank() && isProjectCanonical(profile) && !chain.isProjectProfile(profile)) {
            OperationOutcome unknown = new OperationOutcome();
            unknown.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR)
                    .setCode(OperationOutcome.IssueType.NOTFOUND)
                    .setDiagnostics("Unknown profile " + profile);
            return unknown;
        }
        ValidationResult result = profile == null || profile.isBlank()
                ? chain.validate(resource) : chain.validate(resource, profile);
        return (OperationOutcome) result.toOperationOutcome();
    }

    /**
     * Refuses (422, with the validator's issues) a write that claims one of the pathway's profiles
     * and does not conform, or answers one of the pathway's Questionnaires wrongly. Profiles of
     * other publishers cannot be checked offline and are taken on trust.
     */
    public void checkWrite(IBaseResource resource) {
        if (!claimsProjectProfile(resource) && !answersPathwayQuestionnaire(resource)) {
            return;
        }
        ValidationResult result = chain().validate(resource);
        if (result.getMessages().stream().anyMatch(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())) {
            OperationOutcome outcome = (OperationOutcome) result.toOperationOutcome();
            outcome.getIssue().removeIf(i -> i.getSeverity() != OperationOutcome.IssueSeverity.ERROR
                    && i.getSeverity() != OperationOutcome.IssueSeverity.FATAL);
            throw new UnprocessableEntityException(fhir, outcome);
        }
    }

    private boolean claimsProjectProfile(IBaseResource resource) {
        List<? extends IPrimitiveType<String>> profiles = resource.getMeta().getProfile();
        return profiles.stream().map(IPrimitiveType::getValue).anyMatch(ProfileValidator::isProjectCanonical);
    }

    private boolean answersPathwayQuestionnaire(IBaseResource resource) {
        return resource instanceof QuestionnaireResponse qr && qr.hasQuestionnaire()
                && content.findByCanonicalUrl(qr.getQuestionnaire()).isPresent();
    }

    private static boolean isProjectCanonical(String url) {
        return url != null && url.startsWith(ConformanceResources.CANONICAL_BASE + "/");
    }

    private FhirValidation chain() {
        try {
            return validation.start().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while the validation chain was being built", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("The validation chain could not be built", e.getCause());
        }
    }
}
