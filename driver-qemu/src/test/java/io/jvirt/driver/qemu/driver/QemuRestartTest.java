package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ListFilter;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.process.ProcInfo;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A driver JVM killed with running guests; another instance finds and controls them. */
@Timeout(180)
class QemuRestartTest {
    @TempDir
    Path root;
    private Process child;

    @AfterEach
    void cleanup() throws Exception {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        Embed.killAll(root);
    }

    @Test
    void killMinusNineTheDriverJvmWithFiveGuestsAndReopen() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DriverJvmMain.class.getName(), root.toString(), "5")
                .redirectError(root.resolve("child.err").toFile()).start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("READY")) {
                        ready.complete(line);
                    }
                }
                ready.completeExceptionally(new AssertionError("child ended without READY"));
            } catch (Exception e) {
                ready.completeExceptionally(e);
            }
        });
        String line = ready.get(120, TimeUnit.SECONDS);
        Map<String, Integer> ids = new HashMap<>();
        for (String part : line.substring(6).split(" ")) {
            String[] kv = part.split("=");
            ids.put(kv[0], Integer.parseInt(kv[1]));
        }
        List<Long> pids = Embed.pids(root);
        assertEquals(5, pids.size());
        child.destroyForcibly(); // kill -9 the driver
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        for (long pid : pids) {
            assertTrue(ProcInfo.isAlive(pid), "QEMU " + pid + " must outlive the driver");
        }
        try (Connection c = Virt.open(Embed.uri(root))) {
            List<Domain> active = c.listDomains(ListFilter.ACTIVE);
            assertEquals(5, active.size(), active.toString());
            for (int i = 0; i < 5; i++) {
                Domain d = c.lookupDomainByName("g" + i);
                assertNotNull(d);
                assertEquals(ids.get("g" + i), d.id(), "same id after reconnect");
                assertEquals(i % 2 == 1 ? DomainState.PAUSED : DomainState.RUNNING, d.state().state(), d.name());
                assertTrue(d.isPersistent());
            }
            // controllable: every one changes state through its re-attached monitor
            for (int i = 0; i < 5; i++) {
                Domain d = c.lookupDomainByName("g" + i);
                if (i % 2 == 1) {
                    d.resume();
                } else {
                    d.suspend();
                    d.resume();
                }
                assertEquals(DomainState.RUNNING, d.state().state());
            }
            List<Integer> newIds = new ArrayList<>();
            Domain extra = c.defineDomain(Embed.tinyXml("g5"));
            extra.start();
            newIds.add(extra.id());
            assertFalse(ids.containsValue(extra.id()), "ids stay unique across driver instances");
            // a QEMU killed while no driver ran is found dead at the next open
            ProcessHandle.of(Embed.pids(root).get(0)).orElseThrow().destroyForcibly();
        }
        try (Connection c = Virt.open(Embed.uri(root))) {
            long stillRunning = c.listDomains(ListFilter.ACTIVE).size();
            assertTrue(stillRunning == 5, "one of six was killed while no driver ran: " + stillRunning);
            for (Domain d : c.listDomains(ListFilter.ACTIVE)) {
                d.destroy();
            }
        }
        for (long pid : pids) {
            assertFalse(ProcInfo.isAlive(pid));
        }
    }

    @Test
    void twoConnectionsInOneJvmShareTheHost() {
        try (Connection a = Virt.open(Embed.uri(root)); Connection b = Virt.open(Embed.uri(root))) {
            Domain d = a.createDomain(Embed.tinyXml("shared"));
            Domain seen = b.lookupDomainByName("shared");
            seen.suspend();
            assertEquals(DomainState.PAUSED, d.state().state());
            d.destroy();
        }
    }
}
