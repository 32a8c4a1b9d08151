package org.hl7.fhir.utilities;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import org.hl7.fhir.exceptions.FHIRException;

/**
 * CarePath's stand-in for the class of the same name in org.hl7.fhir.utilities 6.7.9 (the version
 * HAPI FHIR 8.8.1 brings), with the same behaviour and one change: the OID registry
 * ({@code oidregistry.csv}, 1.5 MB) is read once per JVM, not once per instance. HAPI's validator
 * builds a new InstanceValidator, and so a new instance of this class, for every validation; that
 * read was a quarter of the server's CPU time while check-ins were written. It takes precedence
 * because the application's own classes come before its libraries on the class path.
 * {@code OidUtilitiesShadowTest} compares it with the library's class and fails when the library
 * version changes, so that the copy is checked again (or dropped, if the library caches the
 * registry itself by then).
 */
public class OIDUtilities {

    private static final String OID_REGEX = "[0-2](\\.(0|[1-9][0-9]*))+";

    private final Map<String, OIDInfo> oidMap;

    public OIDUtilities() {
        this.oidMap = Registry.OIDS;
    }

    /** Holder: loaded on first use, once. */
    private static final class Registry {
        static final Map<String, OIDInfo> OIDS = load();

        private static Map<String, OIDInfo> load() {
            Map<String, OIDInfo> oids = new HashMap<>();
            try (InputStream in = OIDUtilities.class.getClassLoader().getResourceAsStream("oidregistry.csv");
                 BufferedReader reader = new BufferedReader(new InputStreamReader(in))) {
                boolean header = true;
                String line;
                while ((line = reader.readLine()) != null) {
                    if (header) {
                        header = false;
                        continue;
                    }
                    // As the library: String.split drops trailing empty fields, so rows without
                    // a code system name are left out.
                    String[] fields = line.split(",");
                    if (fields.length >= 4) {
                        OIDInfo info = new OIDInfo();
                        info.setOid(fields[0].trim());
                        info.setType(Integer.parseInt(fields[1].trim()));
                        info.setName(fields[2].trim());
                        info.setCodeSystem(fields[3].trim());
                        oids.put(info.getOid(), info);
                    }
                }
            } catch (Exception e) {
                throw new FHIRException(e);
            }
            return Collections.unmodifiableMap(oids);
        }
    }

    public static String getUriForOid(String oid) {
        if (oid == null) {
            return null;
        }
        return switch (oid) {
            case "2.16.840.1.113883.6.96" -> "http://snomed.info/sct";
            case "2.16.840.1.113883.6.1" -> "http://loinc.org";
            case "2.16.840.1.113883.6.8" -> "http://unitsofmeasure.org";
            case "2.16.840.1.113883.6.3" -> "http://hl7.org/fhir/sid/icd-10";
            case "2.16.840.1.113883.6.42", "2.16.840.1.113883.6.104", "2.16.840.1.113883.6.103" ->
                    "http://hl7.org/fhir/sid/icd-9";
            case "2.16.840.1.113883.6.73" -> "http://www.whocc.no/atc";
            case "2.16.840.1.113883.3.26.1.1", "2.16.840.1.113883.3.26.1.1.1" -> "http://ncimeta.nci.nih.gov";
            case "2.16.840.1.113883.6.88" -> "http://www.nlm.nih.gov/research/umls/rxnorm";
            case "2.16.840.1.113883.6.59", "2.16.840.1.113883.12.292" -> "http://hl7.org/fhir/sid/cvx";
            case "2.16.840.1.113883.6.12" -> "http://www.ama-assn.org/go/cpt";
            default -> null;
        };
    }

    public static String oidTail(String id) {
        if (id == null || !id.contains(".")) {
            return id;
        }
        return id.substring(id.lastIndexOf(".") + 1);
    }

    public static String oidRoot(String id) {
        if (id == null || !id.contains(".")) {
            return id;
        }
        return id.substring(0, id.indexOf("."));
    }

    public static boolean isValidOID(String oid) {
        return oid.matches(OID_REGEX);
    }

    public boolean isKnownOID(String oid) {
        return oid != null && oid.startsWith("urn:oid:") && oidMap.containsKey(oid.substring(8));
    }

    public static class OIDInfo {
        private String oid;
        private String name;
        private String codeSystem;
        private Integer type;

        public String getOid() { return oid; }
        public void setOid(String oid) { this.oid = oid; }
        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getCodeSystem() { return codeSystem; }
        public void setCodeSystem(String codeSystem) { this.codeSystem = codeSystem; }
        public Integer getType() { return type; }
        public void setType(Integer type) { this.type = type; }

        @Override
        public String toString() {
            return "OIDInfo{oid='" + oid + "', name='" + name + "', codeSystem='" + codeSystem + "', type=" + type + "}";
        }
    }
}
