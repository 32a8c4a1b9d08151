package org.carepath.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.access.BearerTokenAccessDeniedHandler;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.stereotype.Component;

/**
 * 401 and 403 from the token check, as FHIR clients expect them: Spring's
 * {@code WWW-Authenticate: Bearer ...} header (RFC 6750) and an OperationOutcome body. A refused
 * FHIR request is audited like any other.
 */
@Component
class SecurityErrors implements AuthenticationEntryPoint, AccessDeniedHandler, RequestRejectedHandler {

    private final AuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
    private final AccessDeniedHandler denied = new BearerTokenAccessDeniedHandler();
    private final FhirContext fhir;
    private final ObjectProvider<AuditTrail> audit;

    SecurityErrors(FhirContext fhir, ObjectProvider<AuditTrail> audit) {
        this.fhir = fhir;
        this.audit = audit;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException, jakarta.servlet.ServletException {
        bearer.commence(request, response, e);
        String reason = "No valid access token: " + e.getMessage();
        write(response, IssueType.LOGIN, reason);
        if (request.getRequestURI().startsWith("/fhir")) {
            AuditTrail trail = audit.getIfAvailable();
            if (trail != null) {
                trail.refused(request.getMethod(), request.getRequestURI(), request.getQueryString(),
                        request.getRemoteAddr(), reason);
            }
        }
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException, jakarta.servlet.ServletException {
        denied.handle(request, response, e);
        write(response, IssueType.FORBIDDEN, "Access denied: " + e.getMessage());
    }

    /** A URL Spring Security's firewall refuses (an encoded ';' or '%' in an id, say): 400, as FHIR errors come. */
    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException e)
            throws IOException {
        response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
        write(response, IssueType.INVALID, "The request URL was refused: " + e.getMessage());
    }

    private void write(HttpServletResponse response, IssueType type, String diagnostics) throws IOException {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(type).setDiagnostics(diagnostics);
        response.setContentType("application/fhir+json;charset=UTF-8");
        response.getOutputStream().write(fhir.newJsonParser().encodeResourceToString(outcome)
                .getBytes(StandardCharsets.UTF_8));
    }
}
