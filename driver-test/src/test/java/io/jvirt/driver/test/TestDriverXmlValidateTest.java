package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What the test driver dumps validates against libvirt's own schema (virt-xml-validate). */
@Timeout(120)
class TestDriverXmlValidateTest {
    private static Path validator() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(d, "virt-xml-validate");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("virt-xml-validate is not installed: install the Debian package libvirt-clients (scripts/test does)");
    }

    private static void assertValid(String xml, String what) throws IOException, InterruptedException {
        Path tmp = Files.createTempFile("jvirt-test-domain-", ".xml");
        try {
            Files.writeString(tmp, xml, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(validator().toString(), tmp.toString(), "domain")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("virt-xml-validate did not finish within 60 s");
            }
            assertEquals(0, p.exitValue(), () -> what + " is not valid:\n" + out + "\n" + xml);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Test
    void dumpxmlOfTheDefaultDomainValidates() throws Exception {
        try (Connection c = Virt.open("test:///default")) {
            Domain d = c.lookupDomainByName("test");
            String live = d.xml();
            assertTrue(live.matches("(?s).*<domain[^>]*\\bid=['\"]1['\"].*"), live);
            assertValid(live, "dumpxml test");
            String inactive = d.xml(true);
            assertTrue(!inactive.matches("(?s).*<domain[^>]*\\bid=.*"), inactive);
            assertValid(inactive, "dumpxml --inactive test");
        }
    }
}
