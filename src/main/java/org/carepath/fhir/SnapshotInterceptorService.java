package org.carepath.fhir;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.executor.InterceptorService;

/**
 * HAPI's interceptor service, with each pointcut's invokers read from an immutable snapshot.
 * HAPI 8.8.1 looks them up under one registry-wide lock on every hook call, a dozen per request:
 * with 16 concurrent reads on 2 cores, requests spent 11–13.5 s blocked on it in every 20 s (JFR,
 * docs/performance.md, session 18). Interceptors change only at start-up and in tests; every
 * change starts a new snapshot.
 */
class SnapshotInterceptorService extends InterceptorService {

    private record Snapshot(long generation, Map<Pointcut, List<IInvoker>> invokers) {
    }

    /** Counts changes of the registry; a snapshot taken before the latest change is not used. */
    private final AtomicLong generation = new AtomicLong();
    private volatile Snapshot snapshot;

    SnapshotInterceptorService() {
        super("RestfulServer");
    }

    @Override
    public List<IInvoker> getInvokersForPointcut(Pointcut pointcut) {
        Snapshot current = snapshot;
        long now = generation.get();
        if (current == null || current.generation() != now) {
            Map<Pointcut, List<IInvoker>> invokers = new EnumMap<>(Pointcut.class);
            for (Pointcut each : Pointcut.values()) {
                invokers.put(each, List.copyOf(super.getInvokersForPointcut(each)));
            }
            current = new Snapshot(now, invokers);
            snapshot = current;
        }
        return current.invokers().get(pointcut);
    }

    @Override
    public boolean registerInterceptor(Object interceptor) {
        return changing(() -> super.registerInterceptor(interceptor));
    }

    @Override
    public boolean unregisterInterceptor(Object interceptor) {
        return changing(() -> super.unregisterInterceptor(interceptor));
    }

    @Override
    protected void registerAnonymousInterceptor(Pointcut pointcut, Object interceptor, BaseInvoker invoker) {
        changing(() -> {
            super.registerAnonymousInterceptor(pointcut, interceptor, invoker);
            return null;
        });
    }

    /** A change of the registry, after which (even a failed one) the next hook call takes a new snapshot. */
    private <T> T changing(Supplier<T> change) {
        try {
            return change.get();
        } finally {
            generation.incrementAndGet();
        }
    }
}
