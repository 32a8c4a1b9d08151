package org.carepath.app;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The reference patient app's SMART sign-in, published to the app at {@code /app/config.json}.
 *
 * @param clientId the app's client id at the authorization server (a public client with PKCE)
 * @param scope    the scopes it asks for: read the patient's record, complete Tasks, send answers
 */
@ConfigurationProperties("carepath.app")
record PatientAppProperties(@DefaultValue("carepath-patient-app") String clientId,
                            @DefaultValue("openid fhirUser launch/patient patient/*.read patient/Task.write"
                                    + " patient/QuestionnaireResponse.write") String scope) {
}
