package org.carepath.security;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** @param allowedOrigins browser origins (scheme://host[:port]) that may call the API */
@ConfigurationProperties("carepath.cors")
record CorsProperties(List<String> allowedOrigins) {

    List<String> origins() {
        return allowedOrigins == null ? List.of()
                : allowedOrigins.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
