package org.carepath.security;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * The scopes of the request's access token, which Spring Security validated before the request
 * reached the FHIR server; read once per request and kept with it.
 */
final class RequestTokens {

    private static final String KEY = RequestTokens.class.getName();
    private static final SmartScopes NONE = new SmartScopes(java.util.List.of(), null, null, null, null, null);

    private RequestTokens() {
    }

    static SmartScopes none() {
        return NONE;
    }

    static SmartScopes of(RequestDetails request) {
        Object cached = request.getUserData().get(KEY);
        if (cached instanceof SmartScopes scopes) {
            return scopes;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        SmartScopes scopes = authentication instanceof JwtAuthenticationToken jwt
                ? SmartScopes.fromClaims(jwt.getToken().getClaims()) : NONE;
        request.getUserData().put(KEY, scopes);
        return scopes;
    }
}
