package org.carepath.notify;

import ca.uhn.fhir.context.FhirContext;
import io.micrometer.core.instrument.MeterRegistry;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.ResourceStore;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The delivery worker of this process (carepath.notify.delivery-enabled=false for a process that only serves). */
@Configuration(proxyBeanMethods = false)
class NotifyConfig {

    @Bean
    @ConditionalOnProperty(name = "carepath.notify.delivery-enabled", havingValue = "true", matchIfMissing = true)
    NotificationDelivery notificationDelivery(NotificationOutbox outbox, ResourceInteractions interactions,
                                              ResourceStore store, FhirContext fhir, NotifyProperties properties,
                                              MeterRegistry meters) {
        return new NotificationDelivery(outbox, interactions, store, fhir, properties, meters);
    }
}
