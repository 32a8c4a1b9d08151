package org.carepath.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Runs the patient app's browser script ({@code src/test/browser/patient-app.mjs}) with
 * Playwright and Debian's Chromium, installing them (and node) when missing (we are root on CI machines),
 * so the browser tests never skip: a machine where they cannot run fails them.
 */
public final class BrowserScript {

    static final Path FOLDER = Path.of("src/test/browser");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path SCREENSHOTS = Path.of("target/app-screenshots");

    /** What the script printed, and how it ended. */
    public record Result(int exitStatus, String output) {

        public List<String> lines(String prefix) {
            return Arrays.stream(output.split("\n")).filter(l -> l.startsWith(prefix + " "))
                    .map(l -> l.substring(prefix.length() + 1).trim()).toList();
        }
    }

    private BrowserScript() {
    }

    /** Runs the script with these options (see its header) and returns what it printed. */
    public static synchronized Result run(Map<String, Object> options) throws IOException, InterruptedException {
        ensureInstalled();
        String json = new ObjectMapper().writeValueAsString(options);
        Process node = new ProcessBuilder("node", "patient-app.mjs", json)
                .directory(FOLDER.toFile()).redirectErrorStream(true).start();
        node.getOutputStream().close();
        byte[] out = node.getInputStream().readAllBytes(); // ends when node exits
        if (!node.waitFor(5, TimeUnit.MINUTES)) {
            node.destroyForcibly();
            throw new IllegalStateException("The browser script did not finish in 5 minutes");
        }
        String output = new String(out, StandardCharsets.UTF_8);
        System.out.println("--- patient-app.mjs " + options.get("mode") + " ---\n" + output);
        return new Result(node.exitValue(), output);
    }

    private static void ensureInstalled() throws IOException, InterruptedException {
        if (!Files.isExecutable(CHROMIUM)) {
            exec(List.of("bash", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"),
                    Path.of("."), "installing Debian's chromium");
        }
        if (new ProcessBuilder("bash", "-c", "command -v node && command -v npm").start().waitFor() != 0) {
            exec(List.of("bash", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm"),
                    Path.of("."), "installing Debian's nodejs and npm");
        }
        if (!Files.isDirectory(FOLDER.resolve("node_modules/playwright-core"))) {
            exec(List.of("npm", "ci", "--no-audit", "--no-fund"), FOLDER, "installing playwright-core (npm ci)");
        }
    }

    private static void exec(List<String> command, Path dir, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("Failed " + what + ":\n" + output);
        }
    }
}
