package io.jvirt.driver.qemu.tck;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the TCK suites run on the QEMU driver: an embed root per test class, and the project's tiny
 * test guest under TCG (a real kernel, so that the ACPI power button of {@code shutdown} is obeyed;
 * a firmware-only guest would ignore it). The guest must have been built by
 * {@code scripts/build-test-guest} (scripts/test does it); if not, the suites fail saying so.
 */
final class QemuTck {
    private QemuTck() {
    }

    static Path guestDir() {
        String env = System.getenv("JVIRT_TEST_GUEST_DIR");
        for (Path p : new Path[]{env == null ? null : Path.of(env), Path.of("/var/cache/jvirt/test-guest/current"),
                Path.of(System.getProperty("user.home"), ".cache/jvirt/test-guest/current")}) {
            if (p != null && Files.isRegularFile(p.resolve("vmlinuz")) && Files.isRegularFile(p.resolve("initrd.img"))) {
                return p;
            }
        }
        throw new IllegalStateException("the tiny test guest is not built: run scripts/build-test-guest "
                + "(or set JVIRT_TEST_GUEST_DIR)");
    }

    /**
     * A firmware-only guest (64 MiB, no OS): cheap, for suites that never need the guest's
     * cooperation (FeatureSuite keeps one running domain per feature call alive at once).
     */
    static String firmwareXml(String name) {
        return io.jvirt.driver.qemu.testutil.Embed.tinyXml(name);
    }

    static String domainXml(String name) {
        Path g = guestDir();
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <memory unit='MiB'>128</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='pc'>hvm</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=ttyS0 quiet</cmdline>
                  </os>
                  <features><acpi/></features>
                </domain>""".formatted(name, g.resolve("vmlinuz"), g.resolve("initrd.img"));
    }
}
