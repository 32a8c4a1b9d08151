package org.carepath.app;

import java.util.Map;

import org.springframework.context.annotation.Configuration;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The reference patient app: static files under {@code classpath:static/app/} (Spring Boot serves
 * them), {@code /app} and {@code /app/} answering with its page, and its sign-in settings. The app
 * itself reads and writes only through the public FHIR API at /fhir, as any other app would.
 */
@Configuration(proxyBeanMethods = false)
class PatientApp implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/app", "/app/");
        registry.addViewController("/app/").setViewName("forward:/app/index.html");
    }

    /** What the app needs to start a SMART standalone launch; the endpoints it discovers itself. */
    @RestController
    static class Settings {

        private final PatientAppProperties properties;

        Settings(PatientAppProperties properties) {
            this.properties = properties;
        }

        @GetMapping(value = "/app/config.json", produces = "application/json")
        ResponseEntity<Map<String, String>> config() {
            return ResponseEntity.ok().cacheControl(CacheControl.noCache())
                    .body(Map.of("clientId", properties.clientId(), "scope", properties.scope()));
        }
    }
}
