package org.carepath.notify;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.interaction.ResourceWriteListener;
import org.carepath.interaction.TransactionCache;
import org.carepath.interaction.WriteResult;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.search.QueryStrings;
import org.carepath.search.ResourceSearch;
import org.carepath.store.ResourceStore;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Inside every write's transaction: checks a Subscription a client writes (400 when its channel
 * or criteria cannot be served), queues the handshake of a requested one, and queues a
 * notification for every subscription whose criteria the written resource now matches. The
 * criteria are a FHIR search, run by the search package against the index rows this write has
 * just made, restricted to the written resource: one engine decides what matches.
 */
@Component
@Order(1000) // after the listeners that write more (alerts, care plans): their writes come back here in turn
class SubscriptionChanges implements ResourceWriteListener {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionChanges.class);

    static final Set<String> PAYLOADS = Set.of("application/fhir+json", "application/fhir+xml",
            "application/json+fhir", "application/xml+fhir", "application/json", "application/xml");
    private static final String LIVE = "status=requested,active,error";

    private final ResourceSearch search;
    private final ResourceStore store;
    private final NotificationOutbox outbox;
    private final EndpointAllowList allowList;
    private final FhirContext fhir;
    private final ResourceInteractions interactions;

    SubscriptionChanges(ResourceSearch search, ResourceStore store, NotificationOutbox outbox, NotifyProperties properties,
                        FhirContext fhir, ResourceInteractions interactions) {
        this.interactions = interactions;
        this.search = search;
        this.store = store;
        this.outbox = outbox;
        this.allowList = new EndpointAllowList(properties.allowedEndpoints());
        this.fhir = fhir;
    }

    @Override
    public void afterWrite(WriteResult result, IBaseResource previous) {
        if (result.outcome() != WriteResult.Outcome.CREATED && result.outcome() != WriteResult.Outcome.UPDATED) {
            return;
        }
        if (result.resource() instanceof Subscription subscription) {
            subscriptionWritten(subscription, result.created() ? null : (Subscription) previous);
        }
        for (Subscription subscription : live()) {
            String id = subscription.getIdElement().getIdPart();
            Optional<String> query = query(subscription.getCriteria(), result.type());
            try {
                if (query.isPresent() && matches(result.type(), result.id(), query.get())) {
                    outbox.enqueue(id, result.type(), result.id(), result.version());
                }
            } catch (InvalidRequestException e) {
                // criteria accepted before but no longer understood: they must not refuse other writes
                log.warn("Subscription/{} criteria cannot be evaluated: {}", id, e.getMessage());
            }
        }
    }

    /** Key of the live subscriptions in {@link TransactionCache}: looked up once per transaction. */
    private static final Object LIVE_SUBSCRIPTIONS = new Object();

    private List<Subscription> live() {
        return TransactionCache.get(LIVE_SUBSCRIPTIONS, Set.of("Subscription"), this::findLive);
    }

    private List<Subscription> findLive() {
        return store.findLive(search.findKeys("Subscription", LIVE, 10_000)).stream()
                .map(row -> (Subscription) interactions.decode(row))
                .filter(s -> s.getChannel().getType() == Subscription.SubscriptionChannelType.RESTHOOK)
                .toList();
    }

    /** The search part of criteria for this type ("Flag?patient=1" gives "patient=1"), if they are about it. */
    static Optional<String> query(String criteria, String type) {
        if (criteria == null) {
            return Optional.empty();
        }
        String trimmed = criteria.trim();
        if (trimmed.equals(type)) {
            return Optional.of("");
        }
        return trimmed.startsWith(type + "?") ? Optional.of(trimmed.substring(type.length() + 1)) : Optional.empty();
    }

    private boolean matches(String type, String id, String query) {
        String restricted = (query.isEmpty() ? "" : query + "&") + "_id=" + URLEncoder.encode(id, StandardCharsets.UTF_8);
        return !search.findKeys(type, restricted, 1).isEmpty();
    }

    /** A client's change to a Subscription: refused unless it can be served; a requested one gets its handshake. */
    private void subscriptionWritten(Subscription subscription, Subscription before) {
        boolean channelChanged = before == null || !Objects.equals(subscription.getCriteria(), before.getCriteria())
                || !fhir.newJsonParser().encodeToString(subscription.getChannel())
                .equals(fhir.newJsonParser().encodeToString(before.getChannel()));
        SubscriptionStatus status = subscription.getStatus();
        boolean requested = status == SubscriptionStatus.REQUESTED
                && (before == null || before.getStatus() != SubscriptionStatus.REQUESTED || channelChanged);
        if (before == null && status != SubscriptionStatus.REQUESTED && status != SubscriptionStatus.OFF) {
            throw new InvalidRequestException("A new Subscription has status 'requested' (or 'off'); the server makes it"
                    + " 'active' once its endpoint answers, or 'error' with the reason");
        }
        if (status == SubscriptionStatus.OFF) {
            if (before != null && before.getStatus() != SubscriptionStatus.OFF) {
                outbox.dropPending(subscription.getIdElement().getIdPart(), "Subscription turned off");
            }
            return;
        }
        if (channelChanged || requested) {
            check(subscription);
        }
        if (requested) {
            outbox.enqueueHandshake(subscription.getIdElement().getIdPart());
        }
    }

    /** 400 with what is wrong, so a client never holds a subscription that silently delivers nothing. */
    private void check(Subscription subscription) {
        Subscription.SubscriptionChannelComponent channel = subscription.getChannel();
        if (channel.getType() != Subscription.SubscriptionChannelType.RESTHOOK) {
            throw new InvalidRequestException("Only rest-hook Subscription channels are supported, not "
                    + (channel.getType() == null ? "none" : channel.getType().toCode()));
        }
        String refusal = allowList.refusal(channel.getEndpoint());
        if (refusal != null) {
            throw new InvalidRequestException(refusal);
        }
        if (channel.hasPayload() && !PAYLOADS.contains(channel.getPayload())) {
            throw new InvalidRequestException("Subscription.channel.payload must be empty (notification only) or one of "
                    + PAYLOADS + ", not " + channel.getPayload());
        }
        for (var header : channel.getHeader()) {
            String value = header.getValue();
            int colon = value == null ? -1 : value.indexOf(':');
            if (colon <= 0 || !value.substring(0, colon).trim().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")
                    || value.contains("\r") || value.contains("\n")) {
                throw new InvalidRequestException("Subscription.channel.header entries are 'Name: value': " + value);
            }
            if (RestHookRequests.RESTRICTED.contains(value.substring(0, colon).trim().toLowerCase(Locale.ROOT))) {
                throw new InvalidRequestException("Subscription.channel.header may not set " + value.substring(0, colon).trim());
            }
        }
        String criteria = subscription.getCriteria();
        int question = criteria == null ? -1 : criteria.indexOf('?');
        String type = criteria == null ? "" : (question < 0 ? criteria : criteria.substring(0, question)).trim();
        var parsed = search.parse(type, QueryStrings.parse(question < 0 ? "" : criteria.substring(question + 1)));
        if (!parsed.unknown().isEmpty()) {
            throw new InvalidRequestException("Subscription.criteria has unknown search parameters for " + type + ": "
                    + String.join(", ", parsed.unknown()));
        }
        // run once, so that values the search cannot use (a malformed date) are refused now
        matches(type, "-", question < 0 ? "" : criteria.substring(question + 1));
    }
}
