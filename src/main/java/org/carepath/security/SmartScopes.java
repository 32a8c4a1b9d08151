package org.carepath.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an access token grants, read from its claims: SMART v1 ({@code patient/*.read},
 * {@code user/CarePlan.write}, {@code system/*.*}) and v2 ({@code patient/CarePlan.rs},
 * {@code system/*.cruds}) scopes from {@code scope} (space separated) or {@code scp} (a list), the
 * patient in context ({@code patient}) and the user ({@code fhirUser}).
 *
 * @param grants    one per resource scope understood; other scopes (openid, launch, ...) grant nothing here
 * @param patientId the {@code patient} claim: the one patient whose compartment patient scopes open
 * @param fhirUser  the {@code fhirUser} claim (e.g. {@code Practitioner/123}), for the audit trail
 * @param subject   the token's {@code sub}
 * @param clientId  {@code client_id}, else {@code azp}
 * @param issuer    the token's {@code iss}, the namespace of {@code sub}
 */
record SmartScopes(List<Grant> grants, String patientId, String fhirUser, String subject, String clientId,
                   String issuer) {

    /** SMART v2 permissions; v1 {@code read} is r+s, {@code write} c+u+d, {@code *} all five. */
    enum Permission { CREATE, READ, UPDATE, DELETE, SEARCH }

    /** Whose data a scope opens: one patient's, what the user may see, or anything (backend services). */
    enum Context { PATIENT, USER, SYSTEM }

    /** @param type a resource type, or {@code *} for every type */
    record Grant(Context context, String type, Set<Permission> permissions) {

        boolean covers(String resourceType) {
            // The audit trail opens only to scopes that name it: a wildcard never reaches it.
            return type.equals(resourceType) || (type.equals("*") && !"AuditEvent".equals(resourceType));
        }

        boolean allows(Permission permission) {
            return permissions.contains(permission);
        }

        /** As a v2 scope, e.g. {@code patient/Observation.rs}. */
        @Override
        public String toString() {
            StringBuilder letters = new StringBuilder();
            for (Permission p : permissions) {
                letters.append(p.name().toLowerCase(java.util.Locale.ROOT).charAt(0));
            }
            return context.name().toLowerCase(java.util.Locale.ROOT) + "/" + type + "." + letters;
        }
    }

    /** context/type.permissions, with an optional v2 query part (granular scopes). */
    private static final Pattern SCOPE = Pattern.compile("^(patient|user|system)/([A-Za-z]+|\\*)\\.([A-Za-z*]+)(\\?.*)?$");

    static SmartScopes fromClaims(Map<String, Object> claims) {
        List<Grant> grants = new ArrayList<>();
        for (String scope : scopes(claims)) {
            Grant grant = parse(scope);
            if (grant != null) {
                grants.add(grant);
            }
        }
        String clientId = text(claims.get("client_id"));
        return new SmartScopes(List.copyOf(grants), text(claims.get("patient")), text(claims.get("fhirUser")),
                text(claims.get("sub")), clientId != null ? clientId : text(claims.get("azp")),
                text(claims.get("iss")));
    }

    /**
     * One scope, or null when it is not a resource scope or cannot be honoured exactly: v2
     * granular scopes ({@code patient/Observation.rs?category=laboratory}) are not supported and
     * grant nothing rather than more than they say.
     */
    static Grant parse(String scope) {
        Matcher m = SCOPE.matcher(scope);
        if (!m.matches() || m.group(4) != null) {
            return null;
        }
        Context context = Context.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT));
        Set<Permission> permissions = permissions(m.group(3));
        return permissions == null ? null : new Grant(context, m.group(2), permissions);
    }

    private static Set<Permission> permissions(String text) {
        switch (text) {
            case "*":
                return EnumSet.allOf(Permission.class);
            case "read":
                return EnumSet.of(Permission.READ, Permission.SEARCH);
            case "write":
                return EnumSet.of(Permission.CREATE, Permission.UPDATE, Permission.DELETE);
            default:
                break;
        }
        // v2: a subset of c, r, u, d, s in that order, each at most once
        if (!text.matches("c?r?u?d?s?") || text.isEmpty()) {
            return null;
        }
        Set<Permission> permissions = EnumSet.noneOf(Permission.class);
        for (char c : text.toCharArray()) {
            permissions.add(switch (c) {
                case 'c' -> Permission.CREATE;
                case 'r' -> Permission.READ;
                case 'u' -> Permission.UPDATE;
                case 'd' -> Permission.DELETE;
                default -> Permission.SEARCH;
            });
        }
        return permissions;
    }

    private static List<String> scopes(Map<String, Object> claims) {
        List<String> scopes = new ArrayList<>();
        for (String claim : List.of("scope", "scp")) {
            Object value = claims.get(claim);
            if (value instanceof String text) {
                for (String s : text.trim().split("\\s+")) {
                    if (!s.isEmpty()) {
                        scopes.add(s);
                    }
                }
            } else if (value instanceof Collection<?> list) {
                list.forEach(s -> scopes.add(String.valueOf(s)));
            }
        }
        return scopes;
    }

    private static String text(Object claim) {
        return claim == null || claim.toString().isBlank() ? null : claim.toString();
    }

    /** Whether a patient scope applies: it needs the patient claim to name whose compartment. */
    boolean usable(Grant grant) {
        return grant.context() != Context.PATIENT || patientId != null;
    }

    /** Whether any usable scope allows the permission on the type. */
    boolean allows(String type, Permission permission) {
        return grants.stream().anyMatch(g -> usable(g) && g.covers(type) && g.allows(permission));
    }

    /** Whether every scope that opens data is a patient scope: the token sees one patient's data only. */
    boolean patientOnly() {
        return !grants.isEmpty() && grants.stream().allMatch(g -> g.context() == Context.PATIENT);
    }
}
