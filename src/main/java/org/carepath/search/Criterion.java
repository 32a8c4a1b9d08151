package org.carepath.search;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One search parameter as the client sent it: repeated parameters are separate criteria (AND),
 * the values of one are alternatives (OR).
 *
 * @param param       the parameter, or null for those that live on the resource row (_id,
 *                    _lastUpdated) or are structural (_has, _compartment)
 * @param name        the parameter name without modifier
 * @param modifier    the text after ':' (null when none)
 * @param chain       for a chained reference (subject:Patient.name=x), what the target must match
 * @param has         for _has, which resources must point here and match what
 * @param compartment for _compartment, the compartment the resource must be in
 */
record Criterion(SearchParam param, String name, String modifier, List<String> values, Chain chain, Has has,
                 Compartment compartment) {

    static Criterion of(SearchParam param, String name, String modifier, List<String> values) {
        return new Criterion(param, name, modifier, values, null, null, null);
    }

    record Chain(String targetType, Criterion criterion) {
    }

    record Has(String sourceType, String referenceParam, Criterion criterion) {
    }

    /**
     * @param id           the compartment's owner, or null for the compartments of every resource of
     *                     that type (type-level $everything)
     * @param params       for each searched type, the reference parameters that place it in the
     *                     compartment
     * @param includesSelf whether the owner itself is among the searched types
     */
    record Compartment(String type, String id, Map<String, Set<String>> params, boolean includesSelf) {
    }
}
