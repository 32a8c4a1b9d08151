package org.carepath.store;

import java.time.Instant;

/**
 * Which versions a _history request wants: of one resource, of one type, or of the whole system.
 *
 * @param type  null for system history
 * @param id    null for type or system history
 * @param since only versions updated at or after this instant (null: all)
 * @param until only versions updated at or before this instant: fixes the page set while others write
 */
public record HistoryQuery(String type, String id, Instant since, Instant until) {
}
