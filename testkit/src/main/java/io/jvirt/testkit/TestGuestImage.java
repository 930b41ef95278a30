package io.jvirt.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Finds the tiny test guest built by scripts/build-test-guest, building it when missing. */
public final class TestGuestImage {
    private TestGuestImage() {
    }

    /**
     * The directory holding {@code vmlinuz}, {@code initrd.img} and {@code disk.img}:
     * JVIRT_TEST_GUEST_DIR, else the cache's "current" (root: /var/cache, others: XDG cache); built
     * with the nearest {@code scripts/build-test-guest} above the working directory when missing.
     */
    public static Path locate() throws IOException, InterruptedException {
        String env = System.getenv("JVIRT_TEST_GUEST_DIR");
        Path dir;
        if (env != null && !env.isEmpty()) {
            dir = Path.of(env);
        } else if ("root".equals(System.getProperty("user.name"))) {
            dir = Path.of("/var/cache/jvirt/test-guest/current");
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path cache = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            dir = cache.resolve("jvirt/test-guest/current");
        }
        if (Files.isRegularFile(dir.resolve("vmlinuz")) && Files.isRegularFile(dir.resolve("initrd.img"))) {
            return dir;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path script = d.resolve("scripts/build-test-guest");
            if (Files.isExecutable(script)) {
                return build(script);
            }
        }
        throw new IOException("the test guest is missing at " + dir + ": run scripts/build-test-guest");
    }

    private static Path build(Path script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                last = line;
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || last == null) {
            p.destroyForcibly();
            throw new IOException(script + " failed to build the test guest");
        }
        return Path.of(last);
    }
}
