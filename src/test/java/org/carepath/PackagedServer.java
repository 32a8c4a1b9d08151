package org.carepath;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.restassured.RestAssured;

/**
 * A second server from the packaged jar, for tests that must kill or stop a real process: on the
 * tests' database (already migrated), trusting the tests' authorization server, as deployed.
 */
public final class PackagedServer {

    private PackagedServer() {
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Starts the jar on the port, its output in the log file, with these extra environment variables. */
    public static Process start(int port, String log, Map<String, String> environment) throws IOException {
        Path jar;
        try (var files = Files.list(Path.of("target"))) {
            jar = files.filter(p -> p.getFileName().toString().matches("carepath-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("run after 'mvn package': no jar in target/"));
        }
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(new File(log));
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().put("SPRING_FLYWAY_ENABLED", "false");
        // Security on, as deployed: requests carry the tests' system token.
        builder.environment().put("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", TestTokens.issuer());
        builder.environment().putAll(environment);
        return builder.start();
    }

    /** Waits (two minutes at most) until the server answers /metadata. */
    public static void waitForMetadata(String base, Process server, String log) throws InterruptedException {
        for (int i = 0; i < 240; i++) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see " + log);
            }
            try {
                if (RestAssured.given().baseUri(base).basePath("").get("/metadata").statusCode() == 200) {
                    return;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("server did not start in 2 minutes");
    }
}
