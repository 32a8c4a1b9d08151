package org.carepath.fhir;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ApplicationContext;
import org.springframework.web.servlet.handler.HandlerMappingIntrospector;

/**
 * For every request, Spring Security's filter first asks Spring MVC which of its handlers would
 * serve it and caches the answer for its request matchers (the cache filter of
 * {@link HandlerMappingIntrospector}): a walk through every MVC mapping, 18 % of a FHIR read's CPU.
 * FHIR requests go to HAPI's servlet, never to MVC, and the security rules match them by path, so
 * for them the lookup is skipped. Should anything still ask about one, the introspector looks it
 * up uncached, which answers the same, only slower.
 */
final class FhirRequestsOutsideMvc extends HandlerMappingIntrospector {

    static final String FHIR_SERVLET = "fhir";

    @Override
    public CachedResult setCache(HttpServletRequest request) {
        return isFhir(request) ? null : super.setCache(request);
    }

    private static boolean isFhir(HttpServletRequest request) {
        return FHIR_SERVLET.equals(request.getHttpServletMapping().getServletName());
    }

    /** Puts this introspector in the place of Spring MVC's own (the bean Spring Security looks up by name). */
    static BeanPostProcessor replacing(ApplicationContext context) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) throws BeansException {
                if (!"mvcHandlerMappingIntrospector".equals(name) || bean instanceof FhirRequestsOutsideMvc) {
                    return bean;
                }
                FhirRequestsOutsideMvc introspector = new FhirRequestsOutsideMvc();
                introspector.setApplicationContext(context);
                introspector.afterPropertiesSet();
                return introspector;
            }
        };
    }
}
