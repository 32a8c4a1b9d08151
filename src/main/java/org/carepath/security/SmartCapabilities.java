package org.carepath.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/** The CapabilityStatement's {@code rest.security}: SMART-on-FHIR, with the oauth-uris extension. */
@Interceptor
class SmartCapabilities {

    static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    private final AuthorizationServer authorizationServer;
    private final boolean cors;

    SmartCapabilities(AuthorizationServer authorizationServer, boolean cors) {
        this.authorizationServer = authorizationServer;
        this.cors = cors;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void describe(IBaseConformance generated) {
        CapabilityStatement cs = (CapabilityStatement) generated;
        for (CapabilityStatement.CapabilityStatementRestComponent rest : cs.getRest()) {
            CapabilityStatement.CapabilityStatementRestSecurityComponent security = rest.getSecurity();
            security.setCors(cors);
            security.getService().clear();
            security.addService(new CodeableConcept(new Coding(
                    "http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")));
            security.setDescription("OAuth2 bearer tokens from the configured authorization server, with SMART"
                    + " scopes (v1 and v2); see /.well-known/smart-configuration");
            security.getExtension().removeIf(e -> OAUTH_URIS.equals(e.getUrl()));
            String token = authorizationServer.tokenEndpoint();
            String authorize = authorizationServer.authorizationEndpoint();
            if (token != null || authorize != null) {
                Extension uris = security.addExtension().setUrl(OAUTH_URIS);
                if (token != null) {
                    uris.addExtension("token", new UriType(token));
                }
                if (authorize != null) {
                    uris.addExtension("authorize", new UriType(authorize));
                }
            }
        }
    }
}
