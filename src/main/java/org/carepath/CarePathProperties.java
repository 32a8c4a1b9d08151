package org.carepath;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/** The project's own settings, under {@code carepath.*}. */
@ConfigurationProperties("carepath")
public record CarePathProperties(@DefaultValue Security security, @DefaultValue Fhir fhir) {

    /**
     * SMART-on-FHIR authorization (org.carepath.security); the token issuer itself is Spring Boot's
     * {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} / {@code jwk-set-uri}.
     *
     * @param enabled               false turns every check off (local trials only; logged loudly)
     * @param audience              when set, tokens must name it in {@code aud}
     * @param authorizationEndpoint published in /.well-known/smart-configuration; default: the issuer's
     * @param tokenEndpoint         published in /.well-known/smart-configuration; default: the issuer's
     */
    public record Security(@DefaultValue("true") boolean enabled, String audience, String authorizationEndpoint,
                           String tokenEndpoint) {
    }

    /**
     * @param maxRequestSize  bodies larger than this get 413
     * @param defaultPageSize {@code _count} when the client gives none
     * @param maxPageSize     the largest {@code _count} honoured
     */
    public record Fhir(@DefaultValue("10MB") DataSize maxRequestSize,
                       @DefaultValue("20") int defaultPageSize,
                       @DefaultValue("500") int maxPageSize) {
    }
}
