package org.carepath.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.hl7.fhir.utilities.OIDUtilities;
import org.junit.jupiter.api.Test;

/**
 * CarePath's OIDUtilities (read the OID registry once per JVM) must behave as the library's class
 * it stands in for, and must be the one HAPI's validator gets.
 */
class OidUtilitiesShadowTest {

    private static final String CLASS_FILE = "org/hl7/fhir/utilities/OIDUtilities.class";

    @Test
    void theApplicationsClassIsTheOneLoaded() throws Exception {
        URL loaded = OIDUtilities.class.getProtectionDomain().getCodeSource().getLocation();
        assertThat(loaded.toString()).doesNotContain("org.hl7.fhir.utilities");
    }

    @Test
    void theLibraryIsTheVersionTheCopyWasMadeFrom() throws Exception {
        assertThat(libraryJar().toString())
                .as("org.hl7.fhir.utilities changed version: compare its OIDUtilities with ours again, or drop ours")
                .contains("org.hl7.fhir.utilities-6.7.9.jar");
    }

    @Test
    void answersAsTheLibrarysClass() throws Exception {
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {libraryJar()}, null)) {
            Class<?> original = isolated.loadClass("org.hl7.fhir.utilities.OIDUtilities");
            assertThat(original.getProtectionDomain().getCodeSource().getLocation()).isEqualTo(libraryJar());
            Object theirs = original.getConstructor().newInstance();
            OIDUtilities ours = new OIDUtilities();
            Method known = original.getMethod("isKnownOID", String.class);

            List<String> oids = registryOids();
            assertThat(oids).hasSizeGreaterThan(1000);
            List<String> probes = new ArrayList<>();
            for (int i = 0; i < oids.size(); i += 25) {
                String oid = oids.get(i);
                probes.add(oid);
                probes.add("urn:oid:" + oid);
                probes.add("urn:oid:" + oid + ".99999");
            }
            probes.addAll(List.of("urn:oid:", "urn:oid:1.2.3", "2.16.840.1.113883.6.96", "http://loinc.org", "a.b", "x"));
            for (String probe : probes) {
                assertThat(ours.isKnownOID(probe)).as("isKnownOID(%s)", probe).isEqualTo(known.invoke(theirs, probe));
                assertThat(OIDUtilities.getUriForOid(probe)).as("getUriForOid(%s)", probe)
                        .isEqualTo(original.getMethod("getUriForOid", String.class).invoke(null, probe));
                assertThat(OIDUtilities.oidTail(probe)).isEqualTo(original.getMethod("oidTail", String.class).invoke(null, probe));
                assertThat(OIDUtilities.oidRoot(probe)).isEqualTo(original.getMethod("oidRoot", String.class).invoke(null, probe));
                assertThat(OIDUtilities.isValidOID(probe)).isEqualTo(original.getMethod("isValidOID", String.class).invoke(null, probe));
            }
            assertThat(ours.isKnownOID(null)).isEqualTo(known.invoke(theirs, (Object) null));
            assertThat(OIDUtilities.getUriForOid(null)).isNull();
            assertThat(OIDUtilities.oidTail(null)).isNull();
            // The registry is read once: every instance shares it.
            assertThat(probes.stream().filter(ours::isKnownOID).count()).isGreaterThan(oids.size() / 100);
        }
    }

    /** The library's jar: the class path holds two OIDUtilities classes, ours first. */
    private static URL libraryJar() throws Exception {
        for (URL url : Collections.list(OidUtilitiesShadowTest.class.getClassLoader().getResources(CLASS_FILE))) {
            String s = url.toString();
            if (s.startsWith("jar:") && s.contains("org.hl7.fhir.utilities")) {
                return new URL(s.substring(4, s.indexOf("!/")));
            }
        }
        throw new AssertionError("org.hl7.fhir.utilities is not on the class path");
    }

    private static List<String> registryOids() throws Exception {
        List<String> oids = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(
                OidUtilitiesShadowTest.class.getClassLoader().getResourceAsStream("oidregistry.csv")))) {
            in.readLine();
            String line;
            while ((line = in.readLine()) != null) {
                oids.add(line.split(",", -1)[0].trim());
            }
        }
        return oids;
    }
}
