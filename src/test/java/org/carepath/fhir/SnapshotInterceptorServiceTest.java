package org.carepath.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.HookParams;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.junit.jupiter.api.Test;

class SnapshotInterceptorServiceTest {

    private final List<String> called = new ArrayList<>();

    @Interceptor
    class Named {
        private final String name;

        Named(String name) {
            this.name = name;
        }

        @Hook(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY)
        public void completed(RequestDetails request) {
            called.add(name);
        }
    }

    @Interceptor(order = 1)
    class Later extends Named {
        Later(String name) {
            super(name);
        }
    }

    private List<String> callHooks(SnapshotInterceptorService service) {
        called.clear();
        ServletRequestDetails request = new ServletRequestDetails();
        service.callHooks(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY, new HookParams()
                .add(RequestDetails.class, request)
                .add(ServletRequestDetails.class, request));
        return List.copyOf(called);
    }

    @Test
    void everyRegistrationAfterAHookCallIsSeenByTheNextCallInHookOrder() {
        SnapshotInterceptorService service = new SnapshotInterceptorService();
        assertThat(callHooks(service)).isEmpty();

        Named a = new Later("a");
        service.registerInterceptor(a);
        assertThat(callHooks(service)).containsExactly("a");

        service.registerInterceptor(new Named("b"));
        assertThat(callHooks(service)).containsExactly("b", "a");

        service.unregisterInterceptor(a);
        assertThat(callHooks(service)).containsExactly("b");

        service.registerAnonymousInterceptor(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY,
                (pointcut, params) -> called.add("anonymous"));
        assertThat(callHooks(service)).containsExactlyInAnyOrder("b", "anonymous");

        service.unregisterAllInterceptors();
        assertThat(callHooks(service)).isEmpty();
        assertThat(service.hasHooks(Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY)).isFalse();
    }
}
