package io.jvirt.driver.qemu.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.api.InterfaceAddresses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent client against the real tiny guest (qemu-ga 7.2 in a busybox initramfs) under TCG.
 * Two guests boot together: "a" serves the commands and ends with an agent shutdown, "b" is
 * shut down with ACPI. Both QEMUs are killed by pid after the class, also when a test fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class TinyGuestAgentTest {
    /** Boot under TCG takes ~2-5 s on an idle machine; the cores are shared, so allow much more. */
    private static final Duration BOOT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyGuest a;
    private TinyGuest b;
    private AgentClient clientA;
    private GuestAgent agentA;
    private Duration bootA;

    @BeforeAll
    void boot(@TempDir Path tmp) throws Exception {
        if (TinyGuest.kvmPvm()) {
            System.out.println("# /dev/kvm is the nested kvm_pvm hypervisor here: the test guests run under TCG");
        }
        a = TinyGuest.boot(tmp.resolve("a"), true);
        b = TinyGuest.boot(tmp.resolve("b"), false);
        clientA = new AgentClient(a.agentSocket, Duration.ofMillis(500));
        bootA = a.awaitAgent(clientA, BOOT);
        System.out.println("# tiny guest: boot to first guest-ping reply " + bootA.toMillis() + " ms (TCG)");
        agentA = new GuestAgent(clientA, AgentTimeout.of(Duration.ofSeconds(20)));
    }

    @AfterAll
    void kill() throws Exception {
        if (clientA != null) {
            clientA.close();
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    @Order(1)
    void pingAnswersAndTheConsoleSaysReady() {
        agentA.ping();
        assertEquals("{\"return\":{}}", clientA.passthrough("{\"execute\":\"guest-ping\"}", AgentTimeout.DEFAULT));
        assertTrue(a.serial().contains("jvirt-guest: ready (agent)"), a.serial());
    }

    @Test
    @Order(2)
    void osInfoHostnameTimezoneAndUsers() {
        GuestOsInfo os = agentA.osInfo();
        assertEquals("jvirt-test-guest", os.id());
        assertEquals("x86_64", os.machine());
        assertTrue(os.kernelRelease().endsWith("-cloud-amd64"), os.kernelRelease());
        assertEquals("tiny", agentA.hostname());
        assertEquals(new GuestTimezone("UTC", 0), agentA.timezone());
        assertEquals(List.of(), agentA.users(), "nobody logs in to the test guest");
        Map<String, String> info = agentA.guestInfo();
        assertEquals("jvirt-test-guest", info.get("os.id"));
        assertEquals("tiny", info.get("hostname"));
        assertEquals("UTC", info.get("timezone.name"));
        assertEquals("0", info.get("user.count"));
    }

    @Test
    @Order(3)
    void clockCanBeReadAndSet() {
        Instant guest = agentA.time();
        assertTrue(Duration.between(guest, Instant.now()).abs().toSeconds() < 120,
                "guest clock " + guest + " is near the host's");
        Instant later = Instant.now().plus(Duration.ofHours(3));
        agentA.setTime(later);
        Instant read = agentA.time();
        assertTrue(Duration.between(later, read).abs().toSeconds() < 60, "set " + later + ", read " + read);
        agentA.setTime(Instant.now());
        assertTrue(Duration.between(agentA.time(), Instant.now()).abs().toSeconds() < 60);
    }

    @Test
    @Order(4)
    void interfacesShowLoopbackAndTheVirtioNic() throws Exception {
        List<InterfaceAddresses> ifaces = agentA.interfaces();
        InterfaceAddresses lo = ifaces.stream().filter(i -> i.name().equals("lo")).findFirst().orElseThrow();
        assertTrue(lo.addresses().contains("127.0.0.1/8"), lo.toString());
        // the NIC's link-local address appears once the kernel has brought the link up
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        InterfaceAddresses eth0;
        while (true) {
            eth0 = agentA.interfaces().stream().filter(i -> i.name().equals("eth0")).findFirst().orElseThrow();
            if (!eth0.addresses().isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals("52:54:00:6a:76:01", eth0.mac());
        // the link-local address from the MAC; QEMU's user network may add a fec0:: one by router advert
        assertTrue(eth0.addresses().contains("fe80::5054:ff:fe6a:7601/64"), eth0.toString());
    }

    @Test
    @Order(5)
    void fsFreezeOnTheInitramfsFreezesNothing() {
        // The guest's only file systems are rootfs, proc, sysfs, devtmpfs and tmpfs: qemu-ga
        // freezes none of them, reports 0 and stays thawed. That is the honest result here.
        assertEquals(FsFreezeStatus.THAWED, agentA.fsFreezeStatus());
        assertEquals(0, agentA.fsFreeze(List.of()));
        assertEquals(FsFreezeStatus.THAWED, agentA.fsFreezeStatus());
        assertEquals(0, agentA.fsThaw());
        // guest-fsfreeze-freeze-list only freezes listed mount points it knows: an unknown one is
        // not an error to qemu-ga 7.2, it is just not frozen
        assertEquals(0, agentA.fsFreeze(List.of("/no/such/mountpoint")));
        assertEquals(FsFreezeStatus.THAWED, agentA.fsFreezeStatus());
    }

    @Test
    @Order(6)
    void userPasswordIsSetInTheGuest() throws Exception {
        agentA.setUserPassword("root", "s3cret-jvirt", false);
        String shadow = readGuestFile("/etc/shadow");
        String root = shadow.lines().filter(l -> l.startsWith("root:")).findFirst().orElseThrow();
        assertTrue(root.startsWith("root:$6$"), "root's password is now a SHA-512 hash: " + root);
        assertThrows(AgentCommandException.class, () -> agentA.setUserPassword("nosuchuser", "x", false));
    }

    private String readGuestFile(String path) throws Exception {
        JsonNode handle = clientA.execute("guest-file-open",
                JSON.createObjectNode().put("path", path).put("mode", "r"), AgentTimeout.DEFAULT);
        try {
            JsonNode read = clientA.execute("guest-file-read",
                    JSON.createObjectNode().put("handle", handle.asLong()).put("count", 65536), AgentTimeout.DEFAULT);
            return new String(Base64.getDecoder().decode(read.get("buf-b64").asText()), StandardCharsets.UTF_8);
        } finally {
            clientA.execute("guest-file-close", JSON.createObjectNode().put("handle", handle.asLong()),
                    AgentTimeout.DEFAULT);
        }
    }

    @Test
    @Order(7)
    void execRunsAProgramInTheGuest() throws Exception {
        JsonNode pid = clientA.execute("guest-exec", JSON.readTree(
                "{\"path\":\"/bin/cat\",\"arg\":[\"/etc/hostname\"],\"capture-output\":true}"), AgentTimeout.DEFAULT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode status;
        do {
            Thread.sleep(50);
            status = clientA.execute("guest-exec-status",
                    JSON.createObjectNode().put("pid", pid.get("pid").asLong()), AgentTimeout.DEFAULT);
        } while (!status.path("exited").asBoolean() && System.nanoTime() < deadline);
        assertEquals(0, status.path("exitcode").asInt(-1), status.toString());
        assertEquals("tiny\n", new String(Base64.getDecoder().decode(status.path("out-data").asText()),
                StandardCharsets.UTF_8));
    }

    @Test
    @Order(8)
    void unknownCommandIsTheAgentsError() {
        AgentCommandException e = assertThrows(AgentCommandException.class,
                () -> clientA.passthrough("{\"execute\":\"guest-no-such-command\"}", AgentTimeout.DEFAULT));
        assertEquals("CommandNotFound", e.errorClass());
        agentA.ping(); // still in sync afterwards
    }

    @Test
    @Order(9)
    void acpiPowerButtonShutsTheGuestDownCleanly() throws Exception {
        try (AgentClient clientB = new AgentClient(b.agentSocket, Duration.ofMillis(500))) {
            b.awaitAgent(clientB, BOOT);
        }
        long t0 = System.nanoTime();
        String reply = b.qmp("system_powerdown");
        assertTrue(reply.contains("\"return\""), reply);
        assertTrue(b.awaitExit(Duration.ofSeconds(10)), "QEMU did not exit within 10 s of system_powerdown; "
                + b.describe());
        System.out.println("# ACPI shutdown took " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        assertTrue(b.serial().contains("jvirt-guest: power button, powering off"), b.serial());
    }

    @Test
    @Order(10)
    void agentRebootCompletesOnTheResetEventAndTheAgentComesBack() throws Exception {
        // what the driver will do: feed QMP's VSERPORT_CHANGE and RESET events into the client
        try (AutoCloseable events = a.watchQmpEvents(line -> {
            if (line.contains("\"VSERPORT_CHANGE\"")) {
                if (line.contains("\"open\": true")) {
                    clientA.onPortOpened();
                } else {
                    clientA.onPortClosed();
                }
            } else if (line.contains("\"RESET\"")) {
                clientA.onGuestShutdown(true);
            }
        })) {
            long t0 = System.nanoTime();
            agentA.shutdown(GuestShutdownMode.REBOOT, AgentTimeout.of(Duration.ofSeconds(30)));
            long rebootMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(a.alive(), "QEMU keeps running across a guest reboot");
            long deadline = System.nanoTime() + BOOT.toNanos();
            while (clientA.portState() != AgentClient.PortState.OPEN || !pings()) {
                assertTrue(System.nanoTime() < deadline, "the agent did not come back after the reboot; "
                        + a.describe());
                Thread.sleep(50);
            }
            System.out.println("# agent reboot acknowledged after " + rebootMs + " ms, agent back after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        }
        String serial = a.serial();
        assertTrue(serial.contains("jvirt-guest: shutdown (reboot)"), serial);
        assertEquals(2, serial.split("jvirt-guest: ready", -1).length - 1, serial);
    }

    private boolean pings() {
        try {
            clientA.execute("guest-ping", null, AgentTimeout.of(Duration.ofMillis(500)));
            return true;
        } catch (io.jvirt.api.VirtException e) {
            return false;
        }
    }

    @Test
    @Order(11)
    void agentShutdownPowersTheGuestOff() throws Exception {
        long t0 = System.nanoTime();
        agentA.shutdown(GuestShutdownMode.POWERDOWN, AgentTimeout.of(Duration.ofSeconds(10)));
        assertTrue(a.awaitExit(Duration.ofSeconds(10)), "QEMU did not exit within 10 s of guest-shutdown; "
                + a.describe());
        System.out.println("# agent shutdown took " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        assertTrue(a.serial().contains("jvirt-guest: shutdown (poweroff)"), a.serial());
        assertNotNull(bootA);
    }
}
