package org.carepath.monitoring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionCache;
import org.carepath.search.ResourceSearch;
import org.carepath.store.ResourceStore;
import org.carepath.store.StoredResource;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The active risk rules: every stored PlanDefinition of type eca-rule with status active (the
 * shipped ones are loaded from fhir-profiles/ at start-up; a care team may add, change or retire
 * rules through the FHIR API, with no code change). Read from the store once per transaction, so
 * every replica sees a change at once; the parsed form is kept per resource version.
 */
@Component
class RiskRules {

    private static final Logger log = LoggerFactory.getLogger(RiskRules.class);
    static final Set<String> URGENCIES = Set.of("emergency", "urgent", "review");
    private static final String CRITERIA = "type=" + RiskRule.PLAN_TYPES + "|" + RiskRule.ECA_RULE + "&status=active";

    private final ResourceSearch search;
    private final ResourceStore store;
    private final ResourceInteractions interactions;
    private final RuleEngine engine;
    /** Parsed rules by id/version; a malformed rule maps to null and is skipped (logged once). */
    private final Map<String, Optional<RiskRule>> parsed = new ConcurrentHashMap<>();

    RiskRules(ResourceSearch search, ResourceStore store, ResourceInteractions interactions, FhirContext fhir) {
        this.search = search;
        this.store = store;
        this.interactions = interactions;
        this.engine = new RuleEngine(fhir);
    }

    RuleEngine engine() {
        return engine;
    }

    static boolean isRule(PlanDefinition plan) {
        return plan.getType().getCoding().stream()
                .anyMatch(c -> RiskRule.PLAN_TYPES.equals(c.getSystem()) && RiskRule.ECA_RULE.equals(c.getCode()));
    }

    /** Key of the active rules in {@link TransactionCache}. */
    private static final Object ACTIVE = new Object();

    List<RiskRule> active() {
        return TransactionCache.get(ACTIVE, Set.of("PlanDefinition"), this::load);
    }

    private List<RiskRule> load() {
        List<RiskRule> rules = new ArrayList<>();
        for (StoredResource row : store.findLive(search.findKeys("PlanDefinition", CRITERIA, 1000))) {
            parsed.computeIfAbsent(row.id() + "/" + row.version(), key -> parse(row)).ifPresent(rules::add);
        }
        return rules;
    }

    /** Refuses (422) a rule the engine could not evaluate, so nobody believes a broken rule is watching. */
    void check(PlanDefinition plan) {
        try {
            RiskRule rule = RiskRule.from(plan);
            rule.conditions().forEach(engine::parse);
            rule.triggers().stream().map(RiskRule.Trigger::condition).filter(c -> c != null).forEach(engine::parse);
        } catch (IllegalArgumentException e) {
            throw new UnprocessableEntityException("This eca-rule PlanDefinition cannot be evaluated as a risk rule: "
                    + e.getMessage());
        }
    }

    private Optional<RiskRule> parse(StoredResource row) {
        try {
            RiskRule rule = RiskRule.from((PlanDefinition) interactions.decode(row));
            rule.conditions().forEach(engine::parse);
            rule.triggers().stream().map(RiskRule.Trigger::condition).filter(c -> c != null).forEach(engine::parse);
            return Optional.of(rule);
        } catch (IllegalArgumentException e) {
            log.warn("Risk rule PlanDefinition/{} version {} is not evaluated: {}", row.id(), row.version(), e.getMessage());
            return Optional.empty();
        }
    }
}
