package org.carepath.search;

import java.util.List;

/**
 * A parsed search: what to match, in what order, what to include, and the names not understood.
 */
public record SearchRequest(String type, List<Criterion> criteria, List<SortKey> sort, List<Include> includes,
                            Total total, List<String> unknown) {

    /** @param param null for _id and _lastUpdated */
    record SortKey(SearchParam param, String name, boolean descending) {
    }

    /**
     * _include (forward: from the source's reference to its target) or _revinclude (reverse).
     *
     * @param param      the reference parameter, or null for '*'
     * @param targetType only targets of this type (null: any)
     */
    public record Include(boolean reverse, String sourceType, String param, String targetType, boolean iterate) {
    }

    public enum Total { DEFAULT, NONE, ESTIMATE, ACCURATE }
}
