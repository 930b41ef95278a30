package io.jvirt.driver.test;

import io.jvirt.tck.runner.TckMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runnable TCK, as a third party would run it, against the test driver. */
@Timeout(120)
class TestDriverTckMainTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TckMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everySuitePassesOnTheTestDriver() throws Exception {
        Path template = dir.resolve("template.xml");
        Files.writeString(template, TestDriverTck.domainXml("@NAME@"));
        Run r = run("--uri", "test:///default", "--domain-xml", template.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains(" failed") && r.out().contains("jvirt TCK on test:///default: "), r.out());
        assertTrue(r.out().matches("(?s).*: \\d{2,} passed, 0 failed, 0 skipped.*"), r.out());
    }

    @Test
    void aWrongTemplateFailsTheRun() throws Exception {
        Path template = dir.resolve("kvm.xml");
        Files.writeString(template, TestDriverTck.domainXml("@NAME@").replace("type='test'", "type='kvm'"));
        Run r = run("--uri", "test:///default", "--domain-xml", template.toString(), "--suite", "Lifecycle");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("CONFIG_UNSUPPORTED") || r.out().contains("not supported by the test driver"), r.out());
    }

    @Test
    void badArgumentsAreStatusTwo() throws Exception {
        Path template = Files.writeString(dir.resolve("t.xml"), TestDriverTck.domainXml("@NAME@"));
        assertEquals(2, run("--uri").status());
        assertEquals(2, run("--uri", "test:///default").status());
        assertEquals(2, run("--uri", "test:///default", "--domain-xml", "/no/such/file").status());
        Run r = run("--uri", "test:///default", "--domain-xml", template.toString(), "--suite", "Nope");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("no suite 'Nope'"), r.err());
    }
}
