package org.carepath.security;

import java.util.List;
import java.util.Map;

import org.carepath.security.SmartScopes.Context;
import org.carepath.security.SmartScopes.Permission;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SmartScopesTest {

    @Test
    void v1ReadIsReadAndSearchAndWriteIsCreateUpdateDelete() {
        SmartScopes token = SmartScopes.fromClaims(Map.of("scope", "openid patient/*.read user/CarePlan.write", "patient", "p1"));
        assertThat(token.allows("Observation", Permission.READ)).isTrue();
        assertThat(token.allows("Observation", Permission.SEARCH)).isTrue();
        assertThat(token.allows("Observation", Permission.CREATE)).isFalse();
        assertThat(token.allows("CarePlan", Permission.UPDATE)).isTrue();
        assertThat(token.allows("CarePlan", Permission.DELETE)).isTrue();
        assertThat(token.allows("Task", Permission.CREATE)).isFalse();
        assertThat(token.patientId()).isEqualTo("p1");
    }

    @Test
    void v2LettersAreHonouredExactly() {
        SmartScopes token = SmartScopes.fromClaims(Map.of("scope", "patient/CarePlan.rs system/Task.cu", "patient", "p1"));
        assertThat(token.allows("CarePlan", Permission.READ)).isTrue();
        assertThat(token.allows("CarePlan", Permission.UPDATE)).isFalse();
        assertThat(token.allows("Task", Permission.CREATE)).isTrue();
        assertThat(token.allows("Task", Permission.READ)).isFalse();
        assertThat(SmartScopes.parse("system/*.cruds").permissions()).containsExactlyInAnyOrder(Permission.values());
        assertThat(SmartScopes.parse("system/*.*").permissions()).containsExactlyInAnyOrder(Permission.values());
        assertThat(SmartScopes.parse("user/Observation.sr")).isNull(); // out of order: not a v2 scope
    }

    @Test
    void granularAndUnknownScopesGrantNothing() {
        assertThat(SmartScopes.parse("patient/Observation.rs?category=laboratory")).isNull();
        assertThat(SmartScopes.parse("launch/patient")).isNull();
        assertThat(SmartScopes.parse("openid")).isNull();
        assertThat(SmartScopes.parse("admin/*.*")).isNull();
    }

    @Test
    void scpListAndClientId() {
        SmartScopes token = SmartScopes.fromClaims(Map.of("scp", List.of("system/Patient.rs"), "azp", "ehr", "sub", "s1"));
        assertThat(token.grants()).singleElement().satisfies(g -> {
            assertThat(g.context()).isEqualTo(Context.SYSTEM);
            assertThat(g.type()).isEqualTo("Patient");
        });
        assertThat(token.clientId()).isEqualTo("ehr");
        assertThat(token.subject()).isEqualTo("s1");
    }

    @Test
    void wildcardsDoNotReachTheAuditTrail() {
        SmartScopes token = SmartScopes.fromClaims(Map.of("scope", "system/*.*"));
        assertThat(token.allows("Patient", Permission.READ)).isTrue();
        assertThat(token.allows("AuditEvent", Permission.READ)).isFalse();
        assertThat(SmartScopes.fromClaims(Map.of("scope", "system/AuditEvent.rs")).allows("AuditEvent", Permission.SEARCH)).isTrue();
    }

    @Test
    void patientScopesWithoutPatientClaimAreUnusable() {
        SmartScopes token = SmartScopes.fromClaims(Map.of("scope", "patient/*.read"));
        assertThat(token.allows("Observation", Permission.READ)).isFalse();
    }
}
