package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.driver.test.agent.TestDriverControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test driver's fake guest agent beyond the TCK: qemu-ga's reply shapes, freeze state, modes. */
@Timeout(60)
class TestDriverFakeAgentTest {
    Connection conn;
    Domain test;

    @BeforeEach
    void open() {
        conn = Virt.open("test:///default");
        test = conn.lookupDomainByName("test");
    }

    @AfterEach
    void close() {
        conn.close();
    }

    static VirtException fails(ErrorCode code, Executable call) {
        VirtException e = assertThrows(VirtException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    String raw(String json) {
        return test.agentCommand(json, null);
    }

    @Test
    void rawRepliesHaveQemuGaShapes() {
        assertEquals("{\"return\":{}}", raw("{\"execute\":\"guest-ping\"}"));
        assertEquals("{\"return\":42}", raw("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":42}}"));
        assertEquals("{\"return\":\"thawed\"}", raw("{\"execute\":\"guest-fsfreeze-status\"}"));
        assertEquals("{\"return\":{\"host-name\":\"test\"}}", raw("{\"execute\":\"guest-get-host-name\"}"));
        assertTrue(raw("{\"execute\":\"guest-info\"}").contains("\"name\":\"guest-get-time\",\"enabled\":true"));
        String ifaces = raw(" { \"execute\" : \"guest-network-get-interfaces\" } ");
        assertTrue(ifaces.contains("\"hardware-address\":\"aa:bb:cc:dd:ee:ff\""), ifaces);
        assertTrue(ifaces.contains("\"ip-address\":\"192.0.2."), ifaces);
        long nanos = Long.parseLong(raw("{\"execute\":\"guest-get-time\"}").replaceAll("[^0-9]", ""));
        assertTrue(Math.abs(nanos / 1_000_000 - System.currentTimeMillis()) < 5_000, "guest clock " + nanos);
    }

    @Test
    void badRequestsFailClearly() {
        assertTrue(fails(ErrorCode.INVALID_ARG, () -> raw("not json")).getMessage().contains("not valid JSON"));
        assertTrue(fails(ErrorCode.INVALID_ARG, () -> raw("[1,2]")).getMessage().contains("\"execute\""));
        fails(ErrorCode.INVALID_ARG, () -> raw("{\"execute\":\"guest-ping\",\"arguments\":3}"));
        fails(ErrorCode.INVALID_ARG, () -> raw("{\"execute\":\"guest-ping\"} trailing"));
        assertTrue(fails(ErrorCode.OPERATION_FAILED, () -> raw("{\"execute\":\"guest-nope\"}")).getMessage()
                .contains("CommandNotFound"));
        assertTrue(fails(ErrorCode.OPERATION_FAILED,
                () -> raw("{\"execute\":\"guest-set-time\",\"arguments\":{\"time\":\"soon\"}}")).getMessage()
                .contains("'time'"));
        fails(ErrorCode.OPERATION_FAILED, () -> raw("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"explode\"}}"));
        assertTrue(test.isActive());
    }

    @Test
    void freezingTwiceFailsAndFrozenGuestRefusesOtherCommands() {
        assertEquals(2, test.fsFreeze(List.of()));
        assertEquals("{\"return\":\"frozen\"}", raw("{\"execute\":\"guest-fsfreeze-status\"}"));
        VirtException twice = fails(ErrorCode.OPERATION_FAILED, () -> test.fsFreeze(List.of()));
        assertTrue(twice.getMessage().contains("frozen state"), twice.getMessage());
        fails(ErrorCode.OPERATION_FAILED, test::time);
        assertEquals("{\"return\":{}}", raw("{\"execute\":\"guest-ping\"}"), "ping works while frozen");
        Map<String, String> info = test.guestInfo();
        assertFalse(info.containsKey("os.id"), "frozen: the osinfo command is disabled, as in qemu-ga: " + info);
        assertEquals(2, test.fsThaw(List.of()));
        assertEquals(0, test.fsThaw(List.of()));
        assertEquals(1, test.fsFreeze(List.of("/boot")));
        assertEquals(1, test.fsThaw(List.of("/boot")));
        fails(ErrorCode.OPERATION_FAILED, () -> test.fsFreeze(List.of("/nowhere")));
        fails(ErrorCode.INVALID_ARG, () -> test.fsThaw(List.of("/nowhere")));
        assertEquals("{\"return\":\"thawed\"}", raw("{\"execute\":\"guest-fsfreeze-status\"}"));
    }

    @Test
    void clockOffsetAndSync() {
        Instant past = Instant.parse("2001-02-03T04:05:06Z");
        test.setTime(past);
        assertTrue(Duration.between(past, test.time()).abs().toMillis() < 2_000);
        test.setTime(null);
        assertTrue(Duration.between(Instant.now(), test.time()).abs().toMillis() < 2_000, "sync resets the offset");
        test.setTime(past);
        test.reboot(ShutdownMode.AGENT);
        assertTrue(test.isActive());
    }

    @Test
    void guestInfoUsesVirshKeys() {
        Map<String, String> info = test.guestInfo();
        assertEquals("jvirt-test", info.get("os.id"));
        assertEquals("test", info.get("hostname"));
        assertEquals("UTC", info.get("timezone.name"));
        assertEquals("1", info.get("user.count"));
        assertEquals("root", info.get("user.0.name"));
        List<InterfaceAddresses> ifs = test.interfaceAddresses(InterfaceAddresses.Source.AGENT);
        assertEquals(List.of("lo", "eth0"), ifs.stream().map(InterfaceAddresses::name).toList());
        fails(ErrorCode.NO_SUPPORT, () -> test.interfaceAddresses(InterfaceAddresses.Source.LEASE));
    }

    @Test
    void userPasswords() {
        test.setUserPassword("root", "s3cret", false);
        fails(ErrorCode.OPERATION_FAILED, () -> test.setUserPassword("nobody-here", "x", false));
        fails(ErrorCode.OPERATION_FAILED, () -> test.setUserPassword("root", "two\nlines", false));
        fails(ErrorCode.OPERATION_FAILED, () -> raw("{\"execute\":\"guest-set-user-password\",\"arguments\":"
                + "{\"username\":\"root\",\"password\":\"%%%\",\"crypted\":false}}"));
    }

    @Test
    void pausedGuestsAgentCannotAnswer() {
        test.suspend();
        VirtException e = fails(ErrorCode.OPERATION_INVALID, test::guestInfo);
        assertTrue(e.getMessage().contains("paused"), e.getMessage());
        test.resume();
        assertNotNull(test.guestInfo());
    }

    @Test
    void noWaitReturnsNullAtOnce() {
        assertNull(test.agentCommand("{\"execute\":\"guest-ping\"}", Duration.ZERO));
        conn.unwrap(TestDriverControl.class).setAgentMode("test", AgentMode.SILENT);
        long t0 = System.nanoTime();
        assertNull(test.agentCommand("{\"execute\":\"guest-ping\"}", Duration.ZERO));
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }

    @Test
    void absentAgentFailsAtOnceAndModeSwitchesEmitEvents() throws Exception {
        BlockingQueue<DomainEvent.AgentLifecycleEvent> got = new LinkedBlockingQueue<>();
        conn.events().subscribe(e -> {
            if (e instanceof DomainEvent.AgentLifecycleEvent a) {
                got.add(a);
            }
        });
        TestDriverControl control = conn.unwrap(TestDriverControl.class);
        assertEquals(AgentMode.ON, control.agentMode("test"));
        control.setAgentMode("test", AgentMode.NONE);
        assertFalse(got.poll(5, TimeUnit.SECONDS).connected());
        long t0 = System.nanoTime();
        VirtException e = fails(ErrorCode.AGENT_UNRESPONSIVE, () -> raw("{\"execute\":\"guest-ping\"}"));
        assertTrue(e.getMessage().contains("not connected"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
        fails(ErrorCode.AGENT_UNRESPONSIVE, () -> test.shutdown(ShutdownMode.AGENT));
        assertTrue(test.isActive());
        control.setAgentMode("test", AgentMode.ON);
        assertTrue(got.poll(5, TimeUnit.SECONDS).connected());
        test.reboot(ShutdownMode.AGENT);
        assertFalse(got.poll(5, TimeUnit.SECONDS).connected(), "reboot: the agent disconnects");
        assertTrue(got.poll(5, TimeUnit.SECONDS).connected(), "and connects again");
        assertEquals(DomainState.RUNNING, test.state().state());
    }

    @Test
    void silentAgentWakesWhenSwitchedOn() throws Exception {
        TestDriverControl control = conn.unwrap(TestDriverControl.class);
        control.setAgentMode("test", AgentMode.SILENT);
        var call = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> raw("{\"execute\":\"guest-ping\"}"), r -> Thread.ofVirtual().start(r));
        Thread.sleep(200);
        assertFalse(call.isDone());
        control.setAgentMode("test", AgentMode.ON);
        assertEquals("{\"return\":{}}", call.get(2, TimeUnit.SECONDS));
    }

    @Test
    void uriSelectsTheAgentMode() {
        try (Connection silent = Virt.open("test:///default?agent=none")) {
            fails(ErrorCode.AGENT_UNRESPONSIVE, () -> silent.lookupDomainByName("test").guestInfo());
        }
        VirtException e = fails(ErrorCode.NO_CONNECT, () -> Virt.open("test:///default?agent=maybe"));
        assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
    }

    @Test
    void rawGuestShutdownSucceedsAndTheDomainShutsOff() {
        assertNull(raw("{\"execute\":\"guest-shutdown\"}"), "qemu-ga does not answer guest-shutdown");
        assertEquals(DomainState.SHUTOFF, test.state().state());
        assertEquals(io.jvirt.api.StateReason.SHUTDOWN, test.state().reason());
    }

    @Test
    void agentShutdownOfATransientDomainRemovesIt() {
        Domain d = conn.createDomain(TestDriverTck.domainXml("transient-agent"));
        d.shutdown(ShutdownMode.AGENT);
        fails(ErrorCode.NO_DOMAIN, d::state);
    }
}
