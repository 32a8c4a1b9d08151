package org.carepath.interaction;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.carepath.search.ResourceSearch;
import org.carepath.store.HistoryQuery;
import org.carepath.store.ResourceIndexer;
import org.carepath.store.ResourceStore;
import org.carepath.store.StoredResource;
import org.carepath.validation.ProfileValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;

/**
 * The FHIR RESTful interactions on single resources: create, read, vread, update, delete and
 * history, with their conditional forms. Each runs in one transaction, or joins the transaction of
 * an enclosing Bundle.
 */
@Service
public class ResourceInteractions {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private final ResourceStore store;
    private final ResourceIndexer indexer;
    private final ResourceSearch search;
    private final ResourceCodec codec;
    private final TransactionRunner transactions;
    private final ProfileValidator profiles;
    /** Looked up at write time: listeners (care plans, alerts) themselves write through this class. */
    private final ObjectProvider<ResourceWriteListener> listeners;
    /** The listeners in order, resolved at the first write (singletons: resolving them on every write was about 2 % of ingest CPU). */
    private volatile List<ResourceWriteListener> orderedListeners;

    public ResourceInteractions(ResourceStore store, ResourceIndexer indexer, ResourceSearch search,
                                ResourceCodec codec, TransactionRunner transactions, ProfileValidator profiles,
                                ObjectProvider<ResourceWriteListener> listeners) {
        this.profiles = profiles;
        this.listeners = listeners;
        this.store = store;
        this.indexer = indexer;
        this.search = search;
        this.codec = codec;
        this.transactions = transactions;
    }

    public String typeOf(IBaseResource resource) {
        return codec.fhir().getResourceType(resource);
    }

    /** Create with a server-assigned id; with {@code ifNoneExist}, only when nothing matches it. */
    public WriteResult create(IBaseResource resource, String ifNoneExist) {
        String type = typeOf(resource);
        codec.rejectUnstorableText(resource);
        return transactions.write(() -> {
            if (ifNoneExist != null) {
                Optional<StoredResource> match = matchOne(type, ifNoneExist, "create");
                if (match.isPresent()) {
                    StoredResource found = match.get();
                    return new WriteResult(WriteResult.Outcome.MATCHED, type, found.id(), found.version(),
                            found.lastUpdated(), codec.decode(found));
                }
            }
            return createWithId(type, newId(), resource);
        });
    }

    /** Refuses text a resource may not hold (control characters, NUL), as single writes do. */
    void rejectUnstorableText(IBaseResource resource) {
        codec.rejectUnstorableText(resource);
    }

    /** A new server id; random, so ids reveal nothing of other patients' records. */
    public String newId() {
        return UUID.randomUUID().toString();
    }

    /** Creates version 1 under an id the caller chose and no-one holds (a Bundle's pre-assigned ids). */
    WriteResult createWithId(String type, String id, IBaseResource resource) {
        return createNew(List.of(type), List.of(id), List.of(resource)).get(0);
    }

    /**
     * Creates many resources with server-assigned ids in one transaction and one round trip for
     * their rows and one for their index rows (the audit trail's batches). Each is checked,
     * stamped and announced as {@link #create} would.
     */
    public List<WriteResult> createAll(List<? extends IBaseResource> resources) {
        List<String> types = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (IBaseResource resource : resources) {
            types.add(typeOf(resource));
            ids.add(newId());
            codec.rejectUnstorableText(resource);
        }
        return transactions.write(() -> createNew(types, ids, resources));
    }

    /** Version 1 of each resource under its type and id, none of which may exist yet (else DuplicateKeyException). */
    private List<WriteResult> createNew(List<String> types, List<String> ids, List<? extends IBaseResource> resources) {
        Instant now = now(null);
        List<ResourceStore.NewResource> rows = new ArrayList<>();
        for (int i = 0; i < resources.size(); i++) {
            IBaseResource resource = resources.get(i);
            profiles.checkWrite(resource);
            codec.stamp(resource, types.get(i), ids.get(i), 1, now);
            rows.add(new ResourceStore.NewResource(types.get(i), ids.get(i), now, codec.encode(resource),
                    codec.patientIds(resource)));
        }
        List<Long> keys = store.insertAll(rows);
        List<ResourceIndexer.Written> written = new ArrayList<>();
        for (int i = 0; i < resources.size(); i++) {
            written.add(new ResourceIndexer.Written(keys.get(i), types.get(i), resources.get(i)));
        }
        indexer.indexAll(written);
        List<WriteResult> results = new ArrayList<>();
        for (int i = 0; i < resources.size(); i++) {
            results.add(announce(new WriteResult(WriteResult.Outcome.CREATED, types.get(i), ids.get(i), 1, now,
                    resources.get(i)), null));
        }
        return results;
    }

    private WriteResult announce(WriteResult result, IBaseResource previous) {
        TransactionCache.written(result.type());
        List<ResourceWriteListener> ordered = orderedListeners;
        if (ordered == null) {
            ordered = listeners.orderedStream().toList();
            orderedListeners = ordered;
        }
        for (ResourceWriteListener listener : ordered) {
            listener.afterWrite(result, previous);
        }
        return result;
    }

    /**
     * Update, or create with the client's id when it does not exist yet.
     *
     * @param ifMatch the version the client last saw (If-Match), or null for an unconditional write
     */
    public WriteResult update(String type, String id, IBaseResource resource, Integer ifMatch) {
        checkId(id);
        checkBodyId(type, id, resource);
        codec.rejectUnstorableText(resource);
        return transactions.write(() -> updateLocked(type, id, resource, ifMatch, true));
    }

    /**
     * Writes a resource the server authored itself (a care plan and its tasks, an alert) under
     * its id. It comes from the pathway's own tested code, not from a client, so the write-time
     * profile check is left out: it is the costliest step of a write (tens of milliseconds of CPU
     * for a check-in), and the tests validate what each author produces.
     */
    public WriteResult updateAuthored(String type, String id, IBaseResource resource) {
        return transactions.write(() -> updateLocked(type, id, resource, null, false));
    }

    private WriteResult updateLocked(String type, String id, IBaseResource resource, Integer ifMatch,
                                     boolean fromClient) {
        if (fromClient) {
            profiles.checkWrite(resource);
        }
        while (true) {
            Optional<StoredResource> current = store.findForUpdate(type, id);
            if (current.isEmpty()) {
                if (ifMatch != null) {
                    throw new PreconditionFailedException(
                            type + "/" + id + " does not exist, so it cannot be at version " + ifMatch);
                }
                Instant now = now(null);
                codec.stamp(resource, type, id, 1, now);
                Optional<Long> key = store.insertIfAbsent(new ResourceStore.NewResource(type, id, now,
                        codec.encode(resource), codec.patientIds(resource)));
                if (key.isEmpty()) {
                    continue; // a concurrent writer created it first: update its version instead
                }
                indexer.index(key.get(), type, resource, false);
                return announce(new WriteResult(WriteResult.Outcome.CREATED, type, id, 1, now, resource), null);
            }
            StoredResource row = current.get();
            if (ifMatch != null && ifMatch != row.version()) {
                throw new PreconditionFailedException("Version conflict: " + type + "/" + id + " is at version "
                        + row.version() + ", not " + ifMatch);
            }
            int version = row.version() + 1;
            Instant now = now(row.lastUpdated());
            IBaseResource previous = row.deleted() ? null : codec.decode(row);
            codec.stamp(resource, type, id, version, now);
            store.update(row, version, now, codec.encode(resource), codec.patientIds(resource));
            indexer.index(row.key(), type, resource, !row.deleted());
            return announce(new WriteResult(row.deleted() ? WriteResult.Outcome.CREATED : WriteResult.Outcome.UPDATED,
                    type, id, version, now, resource), previous);
        }
    }

    /**
     * Writes the resource under its id unless the stored version has the same content (meta
     * aside); returns null when nothing was written. Keeps reloaded content from piling up versions.
     */
    public WriteResult updateIfChanged(String type, String id, IBaseResource resource) {
        return transactions.write(() -> {
            Optional<StoredResource> current = store.findForUpdate(type, id);
            if (current.isPresent() && !current.get().deleted() && sameContent(codec.decode(current.get()), resource)) {
                return null;
            }
            return update(type, id, resource, null);
        });
    }

    private boolean sameContent(IBaseResource stored, IBaseResource candidate) {
        IBaseResource a = ((org.hl7.fhir.r4.model.Resource) stored).copy();
        IBaseResource b = ((org.hl7.fhir.r4.model.Resource) candidate).copy();
        for (IBaseResource r : List.of(a, b)) {
            r.getMeta().setVersionId(null);
            r.getMeta().setLastUpdated(null);
            r.setId(r.getIdElement().toVersionless());
        }
        return codec.encode(a).equals(codec.encode(b));
    }

    /** A lock held until the enclosing transaction ends, for work only one writer may do at a time. */
    public void lock(String name) {
        store.lockName(name);
    }

    /** Update the one resource the criteria match; create it when none does. */
    public WriteResult conditionalUpdate(String type, String criteria, IBaseResource resource, Integer ifMatch) {
        codec.rejectUnstorableText(resource);
        return transactions.write(() -> {
            Optional<StoredResource> match = matchOne(type, criteria, "update");
            String bodyId = resource.getIdElement().getIdPart();
            if (match.isEmpty()) {
                if (bodyId != null) {
                    checkId(bodyId);
                    return updateLocked(type, bodyId, resource, ifMatch, true);
                }
                return createWithId(type, newId(), resource);
            }
            String id = match.get().id();
            if (bodyId != null && !bodyId.equals(id)) {
                throw new InvalidRequestException("The resource id " + bodyId
                        + " differs from the id of the resource the criteria match (" + id + ")");
            }
            return updateLocked(type, id, resource, ifMatch, true);
        });
    }

    public WriteResult delete(String type, String id) {
        checkId(id);
        return transactions.write(() -> deleteLocked(type, id));
    }

    private WriteResult deleteLocked(String type, String id) {
        Optional<StoredResource> current = store.findForUpdate(type, id);
        if (current.isEmpty() || current.get().deleted()) {
            return new WriteResult(WriteResult.Outcome.NOTHING_TO_DELETE, type, id,
                    current.map(StoredResource::version).orElse(0), null, null);
        }
        StoredResource row = current.get();
        int version = row.version() + 1;
        Instant now = now(row.lastUpdated());
        IBaseResource previous = codec.decode(row);
        store.markDeleted(row, version, now);
        indexer.remove(row.key());
        return announce(new WriteResult(WriteResult.Outcome.DELETED, type, id, version, now, null), previous);
    }

    /** Deletes the one resource the criteria match (none: nothing happens; several: 412). */
    public WriteResult conditionalDelete(String type, String criteria) {
        return transactions.write(() -> matchOne(type, criteria, "delete")
                .map(found -> deleteLocked(type, found.id()))
                .orElseGet(() -> new WriteResult(WriteResult.Outcome.NOTHING_TO_DELETE, type, null, 0, null, null)));
    }

    public IBaseResource read(String type, String id) {
        return codec.decode(readStored(type, id));
    }

    /** The current version as stored: 404 unless it exists, 410 if it is deleted. */
    public StoredResource readStored(String type, String id) {
        StoredResource row = transactions.read(() -> store.find(type, id))
                .orElseThrow(() -> new ResourceNotFoundException(new IdType(type, id)));
        if (row.deleted()) {
            throw new ResourceGoneException(new IdType(type, id, Integer.toString(row.version())));
        }
        return row;
    }

    /** 404 unless the resource exists or once did: a deleted resource still has its history. */
    public void requireExisted(String type, String id) {
        if (transactions.read(() -> store.find(type, id)).isEmpty()) {
            throw new ResourceNotFoundException(new IdType(type, id));
        }
    }

    public IBaseResource vread(String type, String id, String version) {
        int number;
        try {
            number = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Version ids are whole numbers: " + version);
        }
        StoredResource row = transactions.read(() -> store.findVersion(type, id, number))
                .orElseThrow(() -> new ResourceNotFoundException(new IdType(type, id, version)));
        if (row.deleted()) {
            throw new ResourceGoneException(new IdType(type, id, version));
        }
        return codec.decode(row);
    }

    public int countHistory(HistoryQuery query) {
        return transactions.read(() -> store.countHistory(query));
    }

    public List<StoredResource> history(HistoryQuery query, int offset, int limit) {
        return transactions.read(() -> store.history(query, offset, limit));
    }

    ca.uhn.fhir.util.FhirTerser fhirTerser() {
        return codec.fhir().newTerser();
    }

    /** An empty resource of a type, e.g. to stand for a deleted version in a history Bundle. */
    public IBaseResource newInstance(String type) {
        return codec.fhir().getResourceDefinition(type).newInstance();
    }

    public IBaseResource decode(StoredResource row) {
        return codec.decode(row);
    }

    /** The row as a resource whose content is not parsed (see {@link ResourceCodec#unparsed}). */
    public IBaseResource unparsed(StoredResource row) {
        return codec.unparsed(row);
    }

    /** The resource with its content, parsing an {@link #unparsed} one. */
    public IBaseResource parsed(IBaseResource resource) {
        return codec.parsed(resource);
    }

    /**
     * The single resource conditional criteria match. Concurrent requests with the same criteria
     * take turns (a transaction-scoped lock on the criteria), so two conditional creates never both
     * find nothing and both create.
     */
    Optional<StoredResource> matchOne(String type, String criteria, String interaction) {
        String normalized = search.normalizeCriteria(type, criteria);
        store.lockName("conditional:" + type + "?" + normalized);
        List<Long> keys = search.findKeys(type, criteria, 2);
        if (keys.size() > 1) {
            throw new PreconditionFailedException("Conditional " + interaction + " criteria " + type + "?"
                    + criteria + " match more than one resource");
        }
        return store.findLive(keys).stream().findFirst();
    }

    /** Millisecond precision (what meta.lastUpdated carries), and never before the previous version. */
    private static Instant now(Instant previous) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return previous != null && !now.isAfter(previous) ? previous.plusMillis(1) : now;
    }

    static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new InvalidRequestException("Invalid resource id '" + id
                    + "': 1-64 characters from A-Z, a-z, 0-9, '-' and '.'");
        }
    }

    private void checkBodyId(String type, String id, IBaseResource resource) {
        String bodyType = typeOf(resource);
        if (!bodyType.equals(type)) {
            throw new InvalidRequestException("Resource type " + bodyType + " does not match the endpoint " + type);
        }
        String bodyId = resource.getIdElement().getIdPart();
        if (bodyId == null) {
            throw new InvalidRequestException("An update must carry the resource id (" + id + ") in the body");
        }
        if (!bodyId.equals(id)) {
            throw new InvalidRequestException("The resource id in the body (" + bodyId
                    + ") does not match the id in the URL (" + id + ")");
        }
    }
}
