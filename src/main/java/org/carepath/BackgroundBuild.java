package org.carepath;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Something expensive built once, on a daemon thread of its own: started early so that it is
 * ready when first needed, or by its first user if that comes earlier, who then waits for it.
 */
public final class BackgroundBuild<T> {

    private final String threadName;
    private final Supplier<T> build;
    private final AtomicReference<CompletableFuture<T>> started = new AtomicReference<>();

    public BackgroundBuild(String threadName, Supplier<T> build) {
        this.threadName = threadName;
        this.build = build;
    }

    /** The build, started now if nobody started it yet; a failure completes it exceptionally. */
    public CompletableFuture<T> start() {
        CompletableFuture<T> current = started.get();
        if (current != null) {
            return current;
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        if (started.compareAndSet(null, future)) {
            Thread thread = new Thread(() -> {
                try {
                    future.complete(build.get());
                } catch (RuntimeException | Error e) {
                    future.completeExceptionally(e);
                }
            }, threadName);
            thread.setDaemon(true);
            thread.start();
        }
        return started.get();
    }
}
