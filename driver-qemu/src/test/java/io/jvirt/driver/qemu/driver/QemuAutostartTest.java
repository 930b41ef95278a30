package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.Autostart;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Autostart with real QEMU: the flagged domains start once per "boot" (per {@code RUN/autostarted}
 * marker), when a host instance first opens after restart recovery; a destroyed one stays off on
 * the next open; removing the marker (a reboot) starts it again; a flagged domain that cannot
 * start does not keep the others from starting. Each open after the connections are closed is a
 * new host instance (the provider shares one only while a connection is open).
 */
@Timeout(180)
class QemuAutostartTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @AfterEach
    void cleanup() throws Exception {
        Embed.killAll(root);
    }

    private Path marker() {
        return root.resolve("run/autostarted");
    }

    private static Autostart.Result awaitPass(Connection c) {
        return c.unwrap(QemuDriver.class).host().awaitAutostart(WAIT)
                .orElseThrow(() -> new AssertionError("autostart did not end within " + WAIT));
    }

    @Test
    void flaggedDomainsStartOncePerBootAndFailuresDoNotStopTheOthers() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            assertTrue(awaitPass(c).claimed(), "the first open of a fresh root claims the marker");
            assertTrue(Files.isRegularFile(marker()));
            c.defineDomain(Embed.tinyXml("auto")).setAutostart(true);
            c.defineDomain(Embed.tinyXml("manual"));
            // sorts before "auto": its failure must not keep "auto" from starting
            c.defineDomain(Embed.diskXml("a-broken", root.resolve("missing/disk.img"))).setAutostart(true);
            assertFalse(c.lookupDomainByName("auto").isActive(), "setting the flag starts nothing");
        }

        // an open without the marker gone starts nothing
        try (Connection c = Virt.open(Embed.uri(root))) {
            Autostart.Result r = awaitPass(c);
            assertFalse(r.claimed(), r.toString());
            assertFalse(c.lookupDomainByName("auto").isActive());
        }

        // "reboot": the run directory's marker is gone
        Files.delete(marker());
        long pid;
        try (Connection c = Virt.open(Embed.uri(root))) {
            LinkedBlockingQueue<DomainEvent> events = new LinkedBlockingQueue<>();
            c.events().subscribe(events::add);
            Autostart.Result r = awaitPass(c);
            assertTrue(r.claimed(), r.toString());
            assertEquals(List.of("auto"), r.started(), r.toString());
            assertEquals(List.of("a-broken"), List.copyOf(r.failed().keySet()), r.toString());
            assertTrue(r.failed().get("a-broken").contains("missing/disk.img"), r.toString());
            Domain auto = c.lookupDomainByName("auto");
            assertEquals(DomainState.RUNNING, auto.state().state());
            assertEquals(StateReason.BOOTED, auto.state().reason());
            assertEquals(DomainState.SHUTOFF, c.lookupDomainByName("manual").state().state());
            assertEquals(DomainState.SHUTOFF, c.lookupDomainByName("a-broken").state().state());
            DomainEvent.LifecycleEvent started = awaitStarted(events, "auto");
            assertEquals("Booted", started.detail());
            assertEquals(1, Embed.pids(root).size());
            pid = Embed.pids(root).getFirst();
        }

        // a new instance re-attaches to the running one and does not start it again, even after a "reboot"
        // marker removal (recovery comes first, so it is active when autostart looks)
        Files.delete(marker());
        try (Connection c = Virt.open(Embed.uri(root))) {
            Autostart.Result r = awaitPass(c);
            assertTrue(r.claimed(), r.toString());
            assertEquals(List.of(), r.started(), "a running domain is not started again: " + r);
            assertEquals(List.of(pid), Embed.pids(root));
            c.lookupDomainByName("auto").destroy();
        }

        // destroyed by the user: stays off on the next open (marker present)
        try (Connection c = Virt.open(Embed.uri(root))) {
            assertFalse(awaitPass(c).claimed());
            assertEquals(DomainState.SHUTOFF, c.lookupDomainByName("auto").state().state());
            assertTrue(Embed.pids(root).isEmpty());
        }

        // another "reboot": it starts again; with the flag cleared, it would not
        Files.delete(marker());
        try (Connection c = Virt.open(Embed.uri(root))) {
            assertEquals(List.of("auto"), awaitPass(c).started());
            Domain auto = c.lookupDomainByName("auto");
            assertEquals(DomainState.RUNNING, auto.state().state());
            auto.destroy();
            auto.setAutostart(false);
        }
        Files.delete(marker());
        try (Connection c = Virt.open(Embed.uri(root))) {
            Autostart.Result r = awaitPass(c);
            assertTrue(r.claimed() && r.started().isEmpty(), r.toString());
            assertEquals(DomainState.SHUTOFF, c.lookupDomainByName("auto").state().state());
        }
    }

    @Test
    void closingRightAfterOpenWaitsForTheAutostartToFinish() throws Exception {
        try (Connection c = Virt.open(Embed.uri(root))) {
            c.defineDomain(Embed.tinyXml("quick")).setAutostart(true);
        }
        Files.delete(marker());
        long t0 = System.nanoTime();
        Virt.open(Embed.uri(root)).close(); // like a jvirsh call that only opens and exits
        long closedMs = (System.nanoTime() - t0) / 1_000_000;
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.lookupDomainByName("quick");
            assertEquals(DomainState.RUNNING, d.state().state(), "the start finished before close returned (" + closedMs + " ms)");
            d.destroy();
        }
    }

    private static DomainEvent.LifecycleEvent awaitStarted(LinkedBlockingQueue<DomainEvent> events, String name)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            DomainEvent e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e instanceof DomainEvent.LifecycleEvent l && l.domainName().equals(name)
                    && l.kind() == DomainEvent.Lifecycle.STARTED) {
                return l;
            }
        }
        throw new AssertionError("no Started event for " + name + " within 10 s");
    }
}
