package org.carepath.pathway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.carepath.store.ResourceStore;
import org.carepath.validation.ConformanceResources.ContentFile;
import org.carepath.validation.ProfileValidator;
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
 *
 * <p>Comparing every resource with its stored version (read, decode, re-encode) took seconds on
 * every start, so the loader records what it left ({@link PathwayContentRecord}): each file's
 * digest and the version then current. A resource whose file is unchanged and whose stored
 * version is still that one is left alone; any other (edited or deleted through the API since,
 * new or changed in the package, never recorded) is compared in full and restored as before.
 */
@Component
public class PathwayContentLoader implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(PathwayContentLoader.class);

    private final ProfileValidator profiles;
    private final ResourceInteractions interactions;
    private final TransactionRunner transactions;
    private final ResourceStore store;
    private final PathwayContentRecord record;

    PathwayContentLoader(ProfileValidator profiles, ResourceInteractions interactions, TransactionRunner transactions,
                         ResourceStore store, PathwayContentRecord record) {
        this.profiles = profiles;
        this.interactions = interactions;
        this.transactions = transactions;
        this.store = store;
        this.record = record;
    }

    @Override
    public void run(ApplicationArguments args) {
        Report report = load();
        log.info("Pathway content: {} written, {} unchanged ({} compared with the stored version)",
                report.written(), report.unchanged(), report.compared());
    }

    /**
     * What a load did.
     *
     * @param compared how many resources were read and compared with their stored version, the
     *                 others being recorded as untouched since the last load
     */
    public record Report(int written, int unchanged, int compared) {
    }

    public Report load() {
        List<ContentFile> files = profiles.content().getDefinitionFiles();
        return transactions.write(() -> {
            interactions.lock("pathway-content");
            Map<String, PathwayContentRecord.Entry> recorded = record.read();
            Map<String, ResourceStore.CurrentVersion> current = currentVersions(files);
            int written = 0;
            int unchanged = 0;
            int compared = 0;
            List<PathwayContentRecord.Entry> left = new ArrayList<>();
            for (ContentFile file : files) {
                String type = file.resource().fhirType();
                String id = file.resource().getIdElement().getIdPart();
                String digest = digest(file.text());
                PathwayContentRecord.Entry was = recorded.get(type + "/" + id);
                ResourceStore.CurrentVersion now = current.get(type + "/" + id);
                if (was != null && now != null && !now.deleted() && was.fileDigest().equals(digest)
                        && was.version() == now.version() && was.lastUpdated().equals(now.lastUpdated())) {
                    unchanged++;
                    left.add(was);
                    continue;
                }
                compared++;
                Resource copy = ((Resource) file.resource()).copy(); // the validator keeps the originals
                if (interactions.updateIfChanged(type, id, copy) == null) {
                    unchanged++;
                } else {
                    written++;
                }
                left.add(new PathwayContentRecord.Entry(type, id, digest, 0, null)); // its version is read below
            }
            if (compared > 0 || recorded.size() != left.size()) {
                Map<String, ResourceStore.CurrentVersion> after = currentVersions(files);
                record.replace(left.stream().map(e -> {
                    ResourceStore.CurrentVersion v = after.get(e.key());
                    return new PathwayContentRecord.Entry(e.type(), e.id(), e.fileDigest(), v.version(), v.lastUpdated());
                }).toList());
            }
            return new Report(written, unchanged, compared);
        });
    }

    private Map<String, ResourceStore.CurrentVersion> currentVersions(List<ContentFile> files) {
        List<String> types = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (ContentFile file : files) {
            types.add(file.resource().fhirType());
            ids.add(file.resource().getIdElement().getIdPart());
        }
        Map<String, ResourceStore.CurrentVersion> byKey = new HashMap<>();
        for (ResourceStore.CurrentVersion v : store.currentVersions(types, ids)) {
            byKey.put(v.type() + "/" + v.id(), v);
        }
        return byKey;
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
