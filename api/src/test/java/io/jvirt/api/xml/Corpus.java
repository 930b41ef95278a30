package io.jvirt.api.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The round-trip corpus (in the TCK's resources) and the libvirt schema oracle. */
final class Corpus {
    private Corpus() {
    }

    /** The corpus directory, tck/src/main/resources/xml-corpus, found from the api module's directory. */
    static Path dir() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        Path dir = Path.of(base).resolve("../tck/src/main/resources/xml-corpus").normalize();
        assertTrue(Files.isDirectory(dir), "corpus directory missing: " + dir);
        return dir;
    }

    /** Every corpus document. */
    static List<Path> files() {
        try (Stream<Path> s = Files.list(dir())) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
            assertTrue(files.size() >= 12, "the corpus should hold at least 12 documents, has " + files.size());
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** virt-xml-validate's path; fails the test (never skips) when it is not installed. */
    static Path validator() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(d, "virt-xml-validate");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("virt-xml-validate is not installed (it is the outside oracle for domain XML): "
                + "install the Debian package libvirt-clients (and libxml2-utils), e.g. via scripts/test");
    }

    /** Runs virt-xml-validate on a document and asserts it is valid for libvirt's domain schema. */
    static void assertValid(String xml, String what) {
        Path validator = validator();
        try {
            Path tmp = Files.createTempFile("jvirt-domain-", ".xml");
            try {
                Files.writeString(tmp, xml, StandardCharsets.UTF_8);
                Process p = new ProcessBuilder(validator.toString(), tmp.toString(), "domain")
                        .redirectErrorStream(true).start();
                p.getOutputStream().close();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("virt-xml-validate did not finish within 60 s for " + what);
                }
                assertEquals(0, p.exitValue(), () -> "virt-xml-validate rejects " + what + ":\n"
                        + new String(out, StandardCharsets.UTF_8) + "\n--- document ---\n" + xml);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while validating " + what);
        }
    }
}
