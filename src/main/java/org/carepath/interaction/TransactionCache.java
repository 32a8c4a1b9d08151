package org.carepath.interaction;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * What a write's listeners looked up once in the current transaction, kept until it ends: a
 * transaction Bundle of one patient asks for the same enrolment, rules and subscriptions for each of
 * its entries. Each entry names the resource types it was made from; a write of one of those types
 * in the same transaction drops it before any listener hears of the write, so nobody sees a lookup
 * older than the transaction's own writes. Outside a transaction nothing is kept.
 */
public final class TransactionCache {

    private static final Object KEY = TransactionCache.class;

    private record Entry(Object value, Set<String> madeOf) {
    }

    private TransactionCache() {
    }

    /**
     * The value for {@code key} looked up earlier in this transaction, else {@code load}'s (then kept).
     *
     * @param madeOf the resource types whose writes may change the value
     */
    @SuppressWarnings("unchecked")
    public static <V> V get(Object key, Set<String> madeOf, Supplier<V> load) {
        Map<Object, Entry> entries = entries(true);
        if (entries == null) {
            return load.get();
        }
        Entry entry = entries.get(key);
        if (entry == null) {
            entry = new Entry(load.get(), madeOf);
            entries.put(key, entry);
        }
        return (V) entry.value();
    }

    /** A resource of this type was written in the current transaction: drop what was made from it. */
    static void written(String type) {
        Map<Object, Entry> entries = entries(false);
        if (entries != null) {
            entries.values().removeIf(entry -> entry.madeOf().contains(type));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Entry> entries(boolean create) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return null;
        }
        Map<Object, Entry> entries = (Map<Object, Entry>) TransactionSynchronizationManager.getResource(KEY);
        if (entries == null && create) {
            Map<Object, Entry> created = new HashMap<>();
            TransactionSynchronizationManager.bindResource(KEY, created);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(KEY);
                }
            });
            entries = created;
        }
        return entries;
    }
}
