package org.carepath.security;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code /.well-known/smart-configuration} (SMART App Launch 2.0), at the server root and under
 * /fhir: where apps get tokens and what the server understands. Its own servlet with exact
 * mappings, so the FHIR servlet at /fhir/* does not take the second path for a resource type.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "carepath.security.enabled", havingValue = "true", matchIfMissing = true)
class SmartConfiguration {

    static final List<String> SCOPES = List.of("openid", "fhirUser", "launch/patient", "offline_access",
            "patient/*.read", "patient/*.rs", "patient/*.cruds", "user/*.read", "user/*.write", "user/*.cruds",
            "system/*.read", "system/*.*", "system/*.cruds", "system/AuditEvent.read", "system/AuditEvent.rs");

    /** What this resource server honours; the authorization server must support the launch flows it lists. */
    static final List<String> CAPABILITIES = List.of("launch-standalone", "client-public",
            "client-confidential-symmetric", "client-confidential-asymmetric", "context-standalone-patient",
            "permission-patient", "permission-user", "permission-v1", "permission-v2", "sso-openid-connect");

    @Bean
    ServletRegistrationBean<HttpServlet> smartConfigurationServlet(AuthorizationServer server, ObjectMapper json) {
        HttpServlet servlet = new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
                String token = server.tokenEndpoint();
                String authorize = server.authorizationEndpoint();
                response.setCharacterEncoding("UTF-8");
                response.setContentType("application/json");
                if (token == null || authorize == null) {
                    response.setStatus(503);
                    response.setContentType("application/fhir+json");
                    json.writeValue(response.getOutputStream(), Map.of("resourceType", "OperationOutcome",
                            "issue", List.of(Map.of("severity", "error", "code", "transient", "diagnostics",
                                    "The authorization server's endpoints are unknown: its OpenID configuration"
                                            + " could not be read; set carepath.security.authorization-endpoint"
                                            + " and token-endpoint, or try again shortly"))));
                    return;
                }
                Map<String, Object> discovered = server.discovery();
                Map<String, Object> body = new LinkedHashMap<>();
                if (server.issuer() != null) {
                    body.put("issuer", server.issuer());
                }
                if (discovered.get("jwks_uri") != null) {
                    body.put("jwks_uri", discovered.get("jwks_uri"));
                }
                body.put("authorization_endpoint", authorize);
                body.put("token_endpoint", token);
                for (String copied : List.of("token_endpoint_auth_methods_supported", "registration_endpoint",
                        "introspection_endpoint", "revocation_endpoint", "management_endpoint")) {
                    if (discovered.get(copied) != null) {
                        body.put(copied, discovered.get(copied));
                    }
                }
                body.put("grant_types_supported", discovered.getOrDefault("grant_types_supported",
                        List.of("authorization_code", "client_credentials")));
                body.put("scopes_supported", SCOPES);
                body.put("response_types_supported", List.of("code"));
                body.put("code_challenge_methods_supported", List.of("S256"));
                body.put("capabilities", CAPABILITIES);
                json.writeValue(response.getOutputStream(), body);
            }
        };
        var registration = new ServletRegistrationBean<>(servlet, "/.well-known/smart-configuration",
                "/fhir/.well-known/smart-configuration");
        registration.setName("smart-configuration");
        return registration;
    }
}
