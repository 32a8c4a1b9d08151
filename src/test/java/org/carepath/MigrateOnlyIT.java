package org.carepath;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged jar's migrate-only mode, which the Helm chart's pre-upgrade Job runs. */
class MigrateOnlyIT {

    @Test
    void migratesAndExitsWithoutStartingAServer() throws Exception {
        Path jar = Files.list(Path.of("target"))
                .filter(p -> p.getFileName().toString().matches("carepath-.*\\.jar")).findFirst()
                .orElseThrow(() -> new IllegalStateException("run after 'mvn package': no jar in target/"));
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()).redirectErrorStream(true).redirectOutput(new File("target/migrate-only.log"));
        builder.environment().put("CAREPATH_MIGRATE_ONLY", "true");
        builder.environment().put("SPRING_FLYWAY_ENABLED", "false"); // as a Deployment sets it: migrate anyway
        builder.environment().put("SERVER_PORT", "1"); // would fail if a web server started
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(Path.of("target/migrate-only.log"));
        assertThat(process.exitValue()).as(log).isZero();
        assertThat(log).containsPattern("Schema \"public\" is up to date|Successfully applied")
                .doesNotContain("Tomcat started");
    }
}
