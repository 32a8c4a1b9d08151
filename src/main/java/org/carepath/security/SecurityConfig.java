package org.carepath.security;

import java.util.List;

import org.carepath.CarePathProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.security.oauth2.resource.OAuth2ResourceServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsConfigurationSource;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

/**
 * CarePath as an OAuth2 resource server: every request but the public ones needs a valid JWT
 * access token (signature from the issuer's JWKS, iss, exp/nbf with 60 s of clock skew, and aud
 * when {@code carepath.security.audience} is set). What the token may do is decided per FHIR
 * interaction by {@link FhirSecurity}.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfig.class);

    /** Readable without a token: what a client needs to find out how to get one, and the probes. */
    static final String[] PUBLIC = {"/fhir/metadata", "/.well-known/smart-configuration",
        "/fhir/.well-known/smart-configuration", "/actuator/health", "/actuator/health/**", "/actuator/info",
        "/actuator/prometheus", "/error", "/app", "/app/**"}; // the patient app's static files and settings

    /**
     * No observation of each security filter, authentication and authorization: wrapping every
     * filter of the chain in its own observation cost each request about a tenth of its CPU
     * (docs/performance.md, "Reads"). The server's own HTTP metrics (http.server.requests) remain.
     */
    @Bean
    SecurityObservationSettings securityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * Spring Security's strict firewall, its rule for header names, header values and parameter
     * names unchanged (no ISO control or unassigned character) but tested without a regular
     * expression: HAPI reads the same headers many times per request through the firewalled
     * request, and the rule's Unicode-class regex was 7 % of a read's CPU (docs/performance.md,
     * "Reads and searches answered unparsed (session 16)").
     */
    @Bean
    WebSecurityCustomizer strictFirewall() {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowedHeaderNames(SecurityConfig::assignedAndNotControl);
        firewall.setAllowedHeaderValues(SecurityConfig::assignedAndNotControl);
        firewall.setAllowedParameterNames(SecurityConfig::assignedAndNotControl);
        return web -> web.httpFirewall(firewall);
    }

    /** What StrictHttpFirewall's default pattern {@code [\p{IsAssigned}&&[^\p{IsControl}]]*} matches. */
    static boolean assignedAndNotControl(String text) {
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            int type = Character.getType(codePoint);
            if (type == Character.UNASSIGNED || type == Character.CONTROL) {
                return false;
            }
            i += Character.charCount(codePoint);
        }
        return true;
    }

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, CarePathProperties properties, CorsProperties cors,
                                    SecurityErrors errors) throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .cors(c -> c.configurationSource(corsConfiguration(cors)));
        if (!properties.security().enabled()) {
            log.warn("""

                    ************************************************************************
                    *  SECURITY IS OFF (carepath.security.enabled=false): no access token  *
                    *  is checked and anyone who reaches this server can read and change   *
                    *  every patient's data. For local trials only; never in production.   *
                    ************************************************************************""");
            http.authorizeHttpRequests(a -> a.anyRequest().permitAll());
            return http.build();
        }
        http.authorizeHttpRequests(a -> a
                        .requestMatchers(PUBLIC).permitAll()
                        .requestMatchers(HttpMethod.OPTIONS, "/fhir/**").permitAll() // CORS preflight
                        .anyRequest().authenticated())
                .oauth2ResourceServer(o -> o.jwt(jwt -> { }).authenticationEntryPoint(errors).accessDeniedHandler(errors))
                .exceptionHandling(e -> e.authenticationEntryPoint(errors).accessDeniedHandler(errors));
        return http.build();
    }

    /**
     * The token decoder, from Spring Boot's own properties. With only an issuer, its JWKS is found
     * through its OpenID configuration when the first token arrives, so the server starts even
     * while the authorization server is down.
     */
    @Bean
    @ConditionalOnProperty(name = "carepath.security.enabled", havingValue = "true", matchIfMissing = true)
    JwtDecoder jwtDecoder(OAuth2ResourceServerProperties resourceServer, CarePathProperties properties) {
        OAuth2ResourceServerProperties.Jwt jwt = resourceServer.getJwt();
        String issuer = blankToNull(jwt.getIssuerUri());
        String jwkSet = blankToNull(jwt.getJwkSetUri());
        if (issuer == null && jwkSet == null) {
            throw new IllegalStateException("Security is on but no token issuer is configured: set"
                    + " SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI (or ..._JWK_SET_URI), or"
                    + " CAREPATH_SECURITY_ENABLED=false for a local trial without tokens");
        }
        OAuth2TokenValidator<Jwt> validator = validator(issuer, properties.security().audience());
        if (jwkSet != null) {
            NimbusJwtDecoder.JwkSetUriJwtDecoderBuilder builder = NimbusJwtDecoder.withJwkSetUri(jwkSet);
            jwt.getJwsAlgorithms().forEach(a -> builder.jwsAlgorithm(SignatureAlgorithm.from(a)));
            NimbusJwtDecoder decoder = builder.build();
            decoder.setJwtValidator(validator);
            return decoder;
        }
        return new SupplierJwtDecoder(() -> {
            NimbusJwtDecoder decoder = (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(issuer);
            decoder.setJwtValidator(validator);
            return decoder;
        });
    }

    static OAuth2TokenValidator<Jwt> validator(String issuer, String audience) {
        OAuth2TokenValidator<Jwt> standard = issuer != null
                ? JwtValidators.createDefaultWithIssuer(issuer) : JwtValidators.createDefault();
        String required = blankToNull(audience);
        if (required == null) {
            return standard;
        }
        return new DelegatingOAuth2TokenValidator<>(standard, new JwtClaimValidator<List<String>>(
                JwtClaimNames.AUD, aud -> aud != null && aud.contains(required)));
    }

    /**
     * Browser apps on the listed origins may call the API. Tokens travel in the Authorization
     * header, never in cookies, so credentials are not allowed and a wildcard origin is refused.
     */
    static CorsConfigurationSource corsConfiguration(CorsProperties cors) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        List<String> origins = cors.origins();
        if (origins.contains("*")) {
            throw new IllegalStateException("carepath.cors.allowed-origins must list origins, not '*'");
        }
        if (!origins.isEmpty()) {
            CorsConfiguration config = new CorsConfiguration();
            config.setAllowedOrigins(origins);
            config.setAllowedMethods(List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));
            config.setAllowedHeaders(List.of("Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match",
                    "If-None-Exist", "If-Modified-Since", "Prefer", "X-Requested-With"));
            config.setExposedHeaders(List.of("Location", "Content-Location", "ETag", "Last-Modified",
                    "WWW-Authenticate"));
            config.setAllowCredentials(false);
            config.setMaxAge(3600L);
            // Paths are matched within each servlet (the FHIR servlet sees /Patient, not /fhir/Patient).
            source.registerCorsConfiguration("/**", config);
        }
        return source;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
