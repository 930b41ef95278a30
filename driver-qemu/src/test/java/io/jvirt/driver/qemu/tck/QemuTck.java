package io.jvirt.driver.qemu.tck;

import io.jvirt.testkit.TestGuestImage;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the TCK suites run on the QEMU driver: an embed root per test class, and the project's tiny
 * test guest under TCG (a real kernel, so that the ACPI power button of {@code shutdown} is obeyed;
 * a firmware-only guest would ignore it). The guest must have been built by
 * {@code scripts/build-test-guest} (scripts/test does it); if not, the suites fail saying so.
 */
public final class QemuTck {
    private QemuTck() {
    }

    static Path guestDir() {
        try {
            return TestGuestImage.locate();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while locating the test guest", e);
        }
    }

    /** The tiny guest with a virtio-serial guest-agent channel (the driver picks the socket path). */
    public static String agentDomainXml(String name) {
        return domainXml(name).replace("</domain>", """
                  <devices>
                    <controller type='virtio-serial' index='0'/>
                    <channel type='unix'>
                      <target type='virtio' name='org.qemu.guest_agent.0'/>
                    </channel>
                  </devices>
                </domain>""");
    }

    /**
     * Stops the guest's qemu-ga with SIGSTOP (through guest-exec, after a second so that the
     * guest-exec reply gets out first) and waits until it has stopped answering.
     */
    public static void stopAgent(io.jvirt.api.Domain d) {
        d.agentCommand("{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\","
                + "\"sleep 1; kill -STOP $(cat /run/qemu-ga.pid)\"]}}", java.time.Duration.ofSeconds(5));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(300);
                d.agentCommand("{\"execute\":\"guest-ping\"}", java.time.Duration.ofMillis(700));
            } catch (io.jvirt.api.VirtException e) {
                if (e.code() == io.jvirt.api.ErrorCode.AGENT_UNRESPONSIVE) {
                    return;
                }
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("the guest agent of " + d.name() + " still answers after kill -STOP");
    }

    /**
     * A firmware-only guest (64 MiB, no OS): cheap, for suites that never need the guest's
     * cooperation (FeatureSuite keeps one running domain per feature call alive at once).
     */
    static String firmwareXml(String name) {
        return io.jvirt.driver.qemu.testutil.Embed.tinyXml(name);
    }

    public static String domainXml(String name) {
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
