package org.carepath.security;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.carepath.CarePathProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.security.oauth2.resource.OAuth2ResourceServerProperties;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/**
 * The configured authorization server's endpoints, for /.well-known/smart-configuration and the
 * CapabilityStatement: taken from {@code carepath.security.*} when set, otherwise discovered from
 * the issuer's OpenID configuration (fetched when first needed, then kept; retried after a failure).
 */
@Component
class AuthorizationServer {

    private static final Logger log = LoggerFactory.getLogger(AuthorizationServer.class);
    private static final Duration RETRY = Duration.ofSeconds(30);

    private final String issuer;
    private final CarePathProperties.Security settings;
    private final RestClient http;
    private volatile Map<String, Object> discovered;
    private volatile Instant lastFailure;

    AuthorizationServer(OAuth2ResourceServerProperties resourceServer, CarePathProperties properties) {
        this.issuer = blankToNull(resourceServer.getJwt().getIssuerUri());
        this.settings = properties.security();
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setConnectTimeout(Duration.ofSeconds(3));
        factory.setReadTimeout(Duration.ofSeconds(5));
        this.http = RestClient.builder().requestFactory(factory).build();
    }

    String issuer() {
        return issuer;
    }

    String authorizationEndpoint() {
        String configured = blankToNull(settings.authorizationEndpoint());
        return configured != null ? configured : text(discovery().get("authorization_endpoint"));
    }

    String tokenEndpoint() {
        String configured = blankToNull(settings.tokenEndpoint());
        return configured != null ? configured : text(discovery().get("token_endpoint"));
    }

    /** The issuer's own metadata (empty when there is no issuer or it cannot be reached). */
    Map<String, Object> discovery() {
        Map<String, Object> known = discovered;
        if (known != null || issuer == null) {
            return known == null ? Map.of() : known;
        }
        if (lastFailure != null && lastFailure.plus(RETRY).isAfter(Instant.now())) {
            return Map.of();
        }
        try {
            Map<String, Object> metadata = http.get()
                    .uri(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration")
                    .retrieve().body(new ParameterizedTypeReference<Map<String, Object>>() { });
            discovered = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
            return discovered;
        } catch (RuntimeException e) {
            lastFailure = Instant.now();
            log.warn("Could not read the authorization server's OpenID configuration from {}: {}", issuer, e.getMessage());
            return Map.of();
        }
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
