package org.carepath.search;

import java.util.List;
import java.util.Set;

/**
 * A parsed search: what to match, in what order, what to include, and the names not understood.
 *
 * @param types the resource types searched: one for a type-level search, several (or all) for a
 *              system-level search and $everything
 */
public record SearchRequest(List<String> types, List<Criterion> criteria, List<SortKey> sort, List<Include> includes,
                            Total total, List<String> unknown) {

    /** @param param null for _id and _lastUpdated */
    record SortKey(SearchParam param, String name, boolean descending) {
    }

    /**
     * _include (forward: from the source's reference to its target) or _revinclude (reverse).
     *
     * @param sourceType  the type holding the reference, or null for any
     * @param param       the reference parameter, or null for '*'
     * @param targetTypes only targets of these types (empty: any)
     */
    public record Include(boolean reverse, String sourceType, String param, Set<String> targetTypes, boolean iterate) {
    }

    public enum Total { DEFAULT, NONE, ESTIMATE, ACCURATE }
}
