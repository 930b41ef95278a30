package io.jvirt.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs an outside program with a timeout; kills it (by its own handle) if it overruns. */
final class Proc {
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "status=" + status + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    private Proc() {
    }

    static Result run(Duration timeout, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        Path outFile = Files.createTempFile("proc", ".out");
        Path errFile = Files.createTempFile("proc", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectOutput(outFile.toFile()).redirectError(errFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail("timed out after " + timeout + ": " + command + "\n" + Files.readString(errFile));
            }
            return new Result(p.exitValue(), Files.readString(outFile, StandardCharsets.UTF_8),
                    Files.readString(errFile, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    /** Validates {@code xml} against libvirt's schema {@code schema} ("domain", "capability") with virt-xml-validate. */
    static void assertValidates(String xml, String schema) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of("/usr/bin/virt-xml-validate"))) {
            fail("virt-xml-validate is missing: install the Debian package libvirt-clients (scripts/test does)");
        }
        Path file = Files.createTempFile("jvirsh", ".xml");
        try {
            Files.writeString(file, xml);
            Result r = run(Duration.ofSeconds(60), Map.of(), List.of("virt-xml-validate", file.toString(), schema));
            assertEquals(0, r.status(), "virt-xml-validate rejected:\n" + xml + "\n" + r);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
