package org.carepath.pathway;

import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.carepath.interaction.WriteResult;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Loads the pathway content of {@code fhir-profiles/} into the store at start-up, before the
 * server reports ready: each resource under its own id, a new version only when its content
 * changed. Replicas starting together take turns, so the content is written once.
 */
@Component
public class PathwayContentLoader implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(PathwayContentLoader.class);

    private final ProfileValidator profiles;
    private final ResourceInteractions interactions;
    private final TransactionRunner transactions;

    PathwayContentLoader(ProfileValidator profiles, ResourceInteractions interactions, TransactionRunner transactions) {
        this.profiles = profiles;
        this.interactions = interactions;
        this.transactions = transactions;
    }

    @Override
    public void run(ApplicationArguments args) {
        Report report = load();
        log.info("Pathway content: {} written, {} unchanged", report.written(), report.unchanged());
    }

    /** What a load did. */
    public record Report(int written, int unchanged) {
    }

    public Report load() {
        return transactions.write(() -> {
            interactions.lock("pathway-content");
            int written = 0;
            int unchanged = 0;
            for (IBaseResource definition : profiles.content().getDefinitions()) {
                Resource copy = ((Resource) definition).copy(); // the validator keeps the originals
                String type = copy.fhirType();
                String id = copy.getIdElement().getIdPart();
                WriteResult result = interactions.updateIfChanged(type, id, copy);
                if (result == null) {
                    unchanged++;
                } else {
                    written++;
                }
            }
            return new Report(written, unchanged);
        });
    }
}
