package io.jvirt.cli;

import io.jvirt.api.Connection;
import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guest-agent commands in-process against {@code test:///default} and its fake agent. */
@Timeout(60)
class JvirshAgentTest {
    Connection conn;

    @BeforeEach
    void open() {
        conn = Virt.open("test:///default");
    }

    @AfterEach
    void close() {
        conn.close();
    }

    Cli.Result ok(String... args) {
        Cli.Result r = Cli.runOn(conn, args);
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err(), r.toString());
        return r;
    }

    Cli.Result fails(String... args) {
        Cli.Result r = Cli.runOn(conn, args);
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("error: "), r.toString());
        assertEquals(1, r.err().lines().count(), "one error line expected: " + r);
        return r;
    }

    @Test
    void qemuAgentCommandPrintsTheRawReply() {
        assertEquals("{\"return\":{}}\n\n", ok("qemu-agent-command", "test", "{\"execute\":\"guest-ping\"}").out());
        assertEquals("{\"return\":{}}\n\n", ok("qemu-agent-command", "test", "--timeout", "3",
                "{\"execute\":", "\"guest-ping\"}").out(), "words are joined with spaces, as virsh does");
        assertEquals("\n", ok("qemu-agent-command", "test", "--async", "{\"execute\":\"guest-ping\"}").out());
        assertTrue(fails("qemu-agent-command", "test", "--timeout", "0", "{\"execute\":\"guest-ping\"}").err()
                .contains("positive"));
        assertTrue(fails("qemu-agent-command", "test", "{\"execute\"").err().contains("not valid JSON"));
        fails("qemu-agent-command", "test", "--async", "--block", "{\"execute\":\"guest-ping\"}");
    }

    @Test
    void qemuAgentCommandOnASilentAgentFailsWithinItsTimeout() {
        long t0 = System.nanoTime();
        Cli.Result r = Cli.run("-c", "test:///default?agent=silent", "qemu-agent-command", "test", "--timeout", "1",
                "{\"execute\":\"guest-ping\"}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, r.status(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertTrue(r.err().startsWith("error: guest agent is not responding"), r.toString());
        assertTrue(ms >= 900 && ms < 5_000, "took " + ms + " ms with a 1 s timeout");
    }

    @Test
    void domtimeGetsAndSets() {
        ok("domtime", "test", "--time", "1000000000");
        assertEquals("Time: 1000000000\n\n", ok("domtime", "test").out().replaceAll("Time: 100000000[0-2]", "Time: 1000000000"));
        assertEquals("Time: 2001-09-09 01:46:40\n\n",
                ok("domtime", "test", "--pretty").out().replaceAll(":4[0-2]\n", ":40\n"));
        ok("domtime", "test", "--now");
        long guest = Long.parseLong(ok("domtime", "test").out().strip().substring("Time: ".length()));
        assertTrue(Math.abs(guest - Instant.now().getEpochSecond()) < 5, "guest time " + guest);
        ok("domtime", "test", "--time", "1000000000");
        ok("domtime", "test", "--sync");
        guest = Long.parseLong(ok("domtime", "test").out().strip().substring("Time: ".length()));
        assertTrue(Math.abs(guest - Instant.now().getEpochSecond()) < 5, "after --sync: " + guest);
        assertTrue(fails("domtime", "test", "--now", "--time", "5").err().contains("mutually exclusive"));
        assertTrue(fails("domtime", "test", "--now", "--pretty").err().contains("mutually exclusive"));
    }

    @Test
    void domfsfreezeAndThaw() {
        assertEquals("Froze 2 filesystem(s)\n\n", ok("domfsfreeze", "test").out());
        assertTrue(fails("domfsfreeze", "test").err().startsWith("error: Unable to freeze filesystems: "));
        assertEquals("Thawed 2 filesystem(s)\n\n", ok("domfsthaw", "test").out());
        assertEquals("Froze 1 filesystem(s)\n\n", ok("domfsfreeze", "test", "--mountpoint", "/boot").out());
        assertEquals("Thawed 1 filesystem(s)\n\n", ok("domfsthaw", "test", "--mountpoint", "/boot").out());
        assertEquals("Froze 2 filesystem(s)\n\n", ok("domfsfreeze", "test", "--mountpoint", "/",
                "--mountpoint", "/boot").out());
        assertEquals("Thawed 2 filesystem(s)\n\n", ok("domfsthaw", "test").out());
    }

    @Test
    void domifaddrFromTheAgent() {
        String out = ok("domifaddr", "test", "--source", "agent").out();
        List<String> lines = out.lines().toList();
        assertEquals(" Name       MAC address          Protocol     Address", lines.get(0));
        assertEquals("-".repeat(79), lines.get(1));
        assertEquals(" lo         00:00:00:00:00:00    ipv4         127.0.0.1/8", lines.get(2));
        assertTrue(lines.get(3).matches(" eth0       aa:bb:cc:dd:ee:ff    ipv4         192\\.0\\.2\\.\\d+/24"), lines.get(3));
        assertEquals(5, lines.size(), out);
        String one = ok("domifaddr", "test", "--source", "agent", "--interface", "eth0").out();
        assertEquals(4, one.lines().count(), one);
        assertTrue(fails("domifaddr", "test").err().startsWith("error: Failed to query for interfaces addresses: "),
                "the test driver has no lease source");
        assertTrue(fails("domifaddr", "test", "--source", "dhcp").err().contains("'dhcp'"));
    }

    @Test
    void guestinfoLines() {
        String out = ok("guestinfo", "test").out();
        assertTrue(out.contains("os.id               : jvirt-test\n"), out);
        assertTrue(out.contains("hostname            : test\n"), out);
        assertTrue(out.contains("user.0.name         : root\n"), out);
        assertTrue(out.contains("timezone.name       : UTC\n"), out);
        assertEquals("hostname            : test\n\n", ok("guestinfo", "test", "--hostname").out());
    }

    @Test
    void setUserPassword() {
        assertEquals("Password set successfully for root in test\n\n",
                ok("set-user-password", "test", "root", "s3cret").out());
        assertEquals("Password set successfully for guest in test\n\n",
                ok("set-user-password", "test", "guest", "$6$salt$hash", "--encrypted").out());
        assertTrue(fails("set-user-password", "test", "nobody", "x").err().contains("nobody"));
    }

    @Test
    void shutdownAndRebootThroughTheAgent() {
        assertEquals("Domain 'test' is being rebooted\n\n", ok("reboot", "test", "--mode", "agent").out());
        assertEquals(DomainState.RUNNING, conn.lookupDomainByName("test").state().state());
        assertEquals("Domain 'test' is being shutdown\n\n", ok("shutdown", "test", "--mode", "agent").out());
        assertEquals(DomainState.SHUTOFF, conn.lookupDomainByName("test").state().state());
        assertEquals(StateReason.SHUTDOWN, conn.lookupDomainByName("test").state().reason());
        assertTrue(fails("qemu-agent-command", "test", "{\"execute\":\"guest-ping\"}").err().contains("not running"));
        assertTrue(fails("shutdown", "test", "--mode", "agent").err().startsWith("error: Failed to shutdown domain 'test': "));
    }

    @Test
    void agentModeNoneFailsShutdownAtOnce() {
        Cli.Result r = Cli.run("-c", "test:///default?agent=none", "shutdown", "test", "--mode", "agent");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().contains("guest agent is not connected"), r.toString());
    }
}
