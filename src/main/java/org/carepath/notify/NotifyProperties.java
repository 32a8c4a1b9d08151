package org.carepath.notify;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Subscription delivery settings, under {@code carepath.notify.*} (environment variables
 * {@code CAREPATH_NOTIFY_ALLOWEDENDPOINTS} and so on).
 *
 * @param allowedEndpoints      the only endpoints subscriptions may name: {@code scheme://host[:port][/path]},
 *                              port {@code *} for any port, no port for the scheme's default; an endpoint
 *                              must have the same scheme, host and port and start with the path.
 *                              Empty (the default): no rest-hook subscription is accepted
 * @param deliveryEnabled       whether this process delivers notifications (every replica may; they share the work)
 * @param pollInterval          how often the delivery worker looks for due notifications
 * @param retryInitialDelay     wait after the first failed attempt; doubled after each further failure
 * @param retryMaxDelay         the longest wait between attempts (retries never stop while the subscription is on)
 * @param connectTimeout        TCP connect timeout of a delivery
 * @param requestTimeout        the longest a delivery may take, so a hanging endpoint holds only its own subscription
 * @param maxParallelDeliveries notifications in flight at once per process (one per subscription at a time)
 */
@ConfigurationProperties("carepath.notify")
public record NotifyProperties(@DefaultValue List<String> allowedEndpoints,
                               @DefaultValue("true") boolean deliveryEnabled,
                               @DefaultValue("1s") Duration pollInterval,
                               @DefaultValue("2s") Duration retryInitialDelay,
                               @DefaultValue("10m") Duration retryMaxDelay,
                               @DefaultValue("5s") Duration connectTimeout,
                               @DefaultValue("10s") Duration requestTimeout,
                               @DefaultValue("8") int maxParallelDeliveries) {

    /** How long a claimed notification stays with its worker before another may retry it (a crashed worker). */
    Duration lease() {
        return requestTimeout.multipliedBy(2).plus(connectTimeout).plusSeconds(5);
    }

    /** The wait before attempt {@code attempts + 1}, after {@code attempts} failures. */
    Duration backoff(int attempts) {
        Duration delay = retryInitialDelay;
        for (int i = 1; i < attempts && delay.compareTo(retryMaxDelay) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(retryMaxDelay) > 0 ? retryMaxDelay : delay;
    }
}
