package org.carepath;

import java.util.LinkedHashMap;
import java.util.Map;

import io.restassured.filter.Filter;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * A real OAuth2/OIDC authorization server for the tests (mock-oauth2-server: discovery, JWKS,
 * RS256-signed tokens), started once per test JVM on a random port. The server under test finds
 * it through its issuer URL, exactly as it finds Keycloak in production.
 */
public final class TestTokens {

    public static final String ISSUER_ID = "carepath";
    public static final String AUDIENCE = "carepath";
    private static final long DAY = 24 * 3600;
    private static final MockOAuth2Server SERVER = start();

    /** A backend service (EHR integration): everything. */
    public static final String SYSTEM = token("ehr-backend", Map.of("scope", "system/*.*", "client_id", "ehr-backend"));

    /** Marks a request that must go without the default token (see {@link #DEFAULT_TOKEN}). */
    public static final String ANONYMOUS_MARKER = "X-Test-Anonymous";

    /**
     * Gives every REST Assured request that carries no Authorization header the system token, so
     * tests that build requests themselves keep working with security on.
     */
    public static final Filter DEFAULT_TOKEN = (request, response, context) -> {
        if (request.getHeaders().hasHeaderWithName(ANONYMOUS_MARKER)) {
            request.removeHeader(ANONYMOUS_MARKER);
        } else if (!request.getHeaders().hasHeaderWithName("Authorization")) {
            request.header("Authorization", "Bearer " + SYSTEM);
        }
        return context.next(request, response);
    };

    private TestTokens() {
    }

    private static MockOAuth2Server start() {
        MockOAuth2Server server = new MockOAuth2Server();
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
        return server;
    }

    public static MockOAuth2Server server() {
        return SERVER;
    }

    /** The issuer URL Spring's issuer-uri points at. */
    public static String issuer() {
        return SERVER.issuerUrl(ISSUER_ID).toString();
    }

    /** A signed access token for the subject with these claims, valid for a day. */
    public static String token(String subject, Map<String, ?> claims) {
        return token(subject, claims, DAY);
    }

    /** @param expiresInSeconds negative for a token that expired that long ago */
    public static String token(String subject, Map<String, ?> claims, long expiresInSeconds) {
        return SERVER.issueToken(ISSUER_ID, subject, AUDIENCE, new LinkedHashMap<>(claims), expiresInSeconds).serialize();
    }

    /** A clinician using the care team dashboard. */
    public static String clinician(String scope) {
        return token("dr-grey", Map.of("scope", scope, "client_id", "care-dashboard",
                "fhirUser", "Practitioner/dr-grey"));
    }

    /** A patient app for one patient. */
    public static String patient(String patientId, String scope) {
        return token("patient-" + patientId, Map.of("scope", scope, "client_id", "patient-app",
                "patient", patientId, "fhirUser", "Patient/" + patientId));
    }
}
