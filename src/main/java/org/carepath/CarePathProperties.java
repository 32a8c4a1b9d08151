package org.carepath;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/** The project's own settings, under {@code carepath.*}. */
@ConfigurationProperties("carepath")
public record CarePathProperties(@DefaultValue Security security, @DefaultValue Fhir fhir) {

    /** @param enabled reserved for SMART-on-FHIR authorization (not enforced yet) */
    public record Security(@DefaultValue("true") boolean enabled) {
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
