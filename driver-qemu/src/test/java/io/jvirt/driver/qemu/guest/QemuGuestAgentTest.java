package io.jvirt.driver.qemu.guest;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.tck.QemuTck;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QEMU driver's guest-agent operations against the real tiny TCG guest: one shared booted guest
 * for the read-only checks, one more for the ACPI shutdown. (The silent-agent timing rules, agent
 * shutdown/reboot and events run in QemuTckAgentTest.)
 */
@Timeout(300)
class QemuGuestAgentTest {
    private static final String PING = "{\"execute\":\"guest-ping\"}";
    @TempDir
    static Path root;
    static Connection conn;
    static Domain shared;

    @BeforeAll
    static void boot() {
        conn = Virt.open(Embed.uri(root));
        shared = awaitAgent(conn.createDomain(QemuTck.agentDomainXml("qa-shared")));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            for (Domain d : conn.listDomains()) {
                if (d.isActive()) {
                    d.destroy();
                }
            }
            conn.close();
        } finally {
            Embed.killAll(root);
        }
    }

    static Domain awaitAgent(Domain d) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                d.agentCommand(PING, Duration.ofSeconds(2));
                return d;
            } catch (VirtException e) {
                if (e.code() != ErrorCode.AGENT_UNRESPONSIVE || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    @Test
    void capabilitiesClaimTheAgent() {
        assertTrue(conn.capabilities().features().contains(Feature.AGENT));
    }

    @Test
    void pingAndTypedQueries() {
        assertEquals("{\"return\":{}}", shared.agentCommand(PING, Duration.ofSeconds(5)));
        assertEquals("{\"return\":{}}", shared.agentCommand(PING, null));
        Map<String, String> info = shared.guestInfo();
        assertEquals("jvirt-test-guest", info.get("os.id"), info.toString());
        assertEquals("tiny", info.get("hostname"), info.toString());
        assertEquals("0", info.get("user.count"), info.toString());
        assertEquals(0, shared.fsFreeze(List.of()), "the tiny guest has no freezable file system");
        assertEquals(0, shared.fsThaw(List.of()));
        assertTrue(shared.interfaceAddresses(InterfaceAddresses.Source.AGENT).stream()
                .anyMatch(i -> i.name().equals("lo") && i.addresses().contains("127.0.0.1/8")));
    }

    @Test
    void unsupportedVariantsSaySo() {
        assertEquals(ErrorCode.NO_SUPPORT, assertThrows(VirtException.class,
                () -> shared.interfaceAddresses(InterfaceAddresses.Source.LEASE)).code());
        assertEquals(ErrorCode.NO_SUPPORT, assertThrows(VirtException.class,
                () -> shared.fsThaw(List.of("/"))).code());
        assertEquals(ErrorCode.INVALID_ARG, assertThrows(VirtException.class,
                () -> shared.agentCommand("[1]", null)).code());
    }

    @Test
    void aPausedGuestsAgentCallsFailAtOnce() {
        shared.suspend();
        try {
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, () -> shared.agentCommand(PING, Duration.ofSeconds(5)));
            assertEquals(ErrorCode.OPERATION_INVALID, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("not running"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "must fail at once");
        } finally {
            shared.resume();
        }
        assertEquals("{\"return\":{}}", shared.agentCommand(PING, null), "the agent answers after resume");
    }

    @Test
    void aDomainWithoutAnAgentChannelFailsClearly() throws Throwable {
        Domain d = conn.createDomain(Embed.tinyXml("qa-noagent"));
        try {
            for (Executable call : List.<Executable>of(() -> d.agentCommand(PING, null), d::time, d::guestInfo,
                    () -> d.shutdown(ShutdownMode.AGENT))) {
                long t0 = System.nanoTime();
                VirtException e = assertThrows(VirtException.class, call);
                assertEquals(ErrorCode.CONFIG_UNSUPPORTED, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("guest agent channel"), e.getMessage());
                assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "must fail at once");
            }
        } finally {
            d.destroy();
        }
    }

    @Test
    void acpiShutdownStopsQemuWithReasonShutdown() {
        Domain d = conn.defineDomain(QemuTck.agentDomainXml("qa-acpi"));
        try {
            d.start();
            awaitAgent(d);
            long t0 = System.nanoTime();
            d.shutdown(ShutdownMode.ACPI);
            long took = System.nanoTime() - t0;
            DomainStatus s = d.state();
            assertEquals(DomainState.SHUTOFF, s.state());
            assertEquals(StateReason.SHUTDOWN, s.reason());
            assertTrue(took < Duration.ofSeconds(10).toNanos(), "shutdown took " + took / 1_000_000 + " ms");
        } finally {
            if (d.isActive()) {
                d.destroy();
            }
            d.undefine();
        }
    }
}
