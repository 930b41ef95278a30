package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainState;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.ListFilter;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test driver's own behaviour beyond the TCK: the default host and its domain {@code test}. */
@Timeout(30)
class TestDriverTest {
    private final Connection conn = Virt.open("test:///default");

    @AfterEach
    void close() {
        conn.close();
    }

    private static void fails(ErrorCode code, Executable call) {
        VirtException e = assertThrows(VirtException.class, call);
        assertEquals(code, e.code(), e.getMessage());
    }

    @Test
    void defaultHostHasRunningPersistentTestDomain() {
        assertEquals("test:///default", conn.uri());
        assertEquals("Test", conn.driverName());
        List<Domain> all = conn.listDomains();
        assertEquals(1, all.size());
        Domain d = all.getFirst();
        assertEquals("test", d.name());
        assertEquals(UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f"), d.uuid());
        assertEquals(1, d.id());
        assertEquals(DomainStatus.of(DomainState.RUNNING, StateReason.BOOTED), d.state());
        assertTrue(d.isActive());
        assertTrue(d.isPersistent());
        assertFalse(d.autostart());
        DomainInfo info = d.info();
        assertEquals(8L * 1024 * 1024, info.maxMemoryKiB());
        assertEquals(2L * 1024 * 1024, info.memoryKiB());
        assertEquals(2, info.vcpus());
        assertTrue(info.cpuTimeNanos() > 0);
        assertEquals(d, conn.lookupDomainById(1));
    }

    @Test
    void eachConnectionGetsAFreshHost() {
        conn.lookupDomainByName("test").destroy();
        try (Connection other = Virt.open("test:///default")) {
            Domain d = other.lookupDomainByName("test");
            assertTrue(d.isActive());
            assertEquals(1, d.id());
        }
        assertFalse(conn.lookupDomainByName("test").isActive());
    }

    @Test
    void everyLifecycleOperationChangesState() throws Exception {
        BlockingQueue<DomainEvent> events = new LinkedBlockingQueue<>();
        conn.events().subscribe(e -> {
            if (e instanceof DomainEvent.LifecycleEvent) { // agent-lifecycle events are checked by the AgentSuite
                events.add(e);
            }
        });
        Domain d = conn.lookupDomainByName("test");

        d.suspend();
        assertEquals(DomainStatus.of(DomainState.PAUSED, StateReason.USER), d.state());
        fails(ErrorCode.OPERATION_INVALID, d::suspend);
        d.resume();
        assertEquals(DomainStatus.of(DomainState.RUNNING, StateReason.UNPAUSED), d.state());
        fails(ErrorCode.OPERATION_INVALID, d::resume);
        d.reboot();
        assertEquals(DomainStatus.of(DomainState.RUNNING, StateReason.BOOTED), d.state());
        assertEquals(1, d.id(), "a guest reboot keeps the id");
        d.shutdown();
        assertEquals(DomainStatus.of(DomainState.SHUTOFF, StateReason.SHUTDOWN), d.state());
        assertEquals(-1, d.id());
        fails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainById(1));
        d.start();
        assertEquals(2, d.id());
        fails(ErrorCode.OPERATION_INVALID, d::start);
        d.destroy();
        assertEquals(DomainStatus.of(DomainState.SHUTOFF, StateReason.DESTROYED), d.state());
        d.setAutostart(true);
        assertTrue(d.autostart());
        assertEquals(1, conn.listDomains(ListFilter.AUTOSTART).size());
        d.undefine();
        fails(ErrorCode.NO_DOMAIN, d::state);
        assertEquals(0, conn.listDomains().size());

        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            DomainEvent.LifecycleEvent e = (DomainEvent.LifecycleEvent) events.poll(5, TimeUnit.SECONDS);
            assertNotNull(e, "missing event after " + seen);
            seen.add(e.kind().label() + " " + e.detail());
        }
        assertEquals(List.of("Suspended Paused", "Resumed Unpaused", "Stopped Shutdown", "Started Booted",
                "Stopped Destroyed", "Undefined Removed"), seen);
        assertEquals(null, events.poll(100, TimeUnit.MILLISECONDS), "reboot and autostart emit no lifecycle event");
    }

    @Test
    void invalidOpsOnInactiveDomain() {
        Domain d = conn.lookupDomainByName("test");
        d.destroy();
        for (Executable op : List.<Executable>of(d::suspend, d::resume, d::shutdown, d::destroy, d::reboot)) {
            VirtException e = assertThrows(VirtException.class, op);
            assertEquals(ErrorCode.OPERATION_INVALID, e.code());
            assertTrue(e.getMessage().contains("not running"), e.getMessage());
        }
    }

    @Test
    void undefineRunningMakesItTransientAndStopRemovesIt() {
        Domain d = conn.lookupDomainByName("test");
        d.undefine();
        assertTrue(d.isActive());
        assertFalse(d.isPersistent());
        fails(ErrorCode.OPERATION_INVALID, d::undefine);
        fails(ErrorCode.OPERATION_INVALID, () -> d.setAutostart(true));
        d.destroy();
        fails(ErrorCode.NO_DOMAIN, d::state);
    }

    @Test
    void claimsItsFeaturesOnly() {
        assertEquals(EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND, Feature.SHUTDOWN, Feature.AUTOSTART, Feature.JOBS,
                        Feature.SAVE, Feature.AGENT, Feature.SET_USER_PASSWORD),
                EnumSet.copyOf(conn.capabilities().features()));
        assertEquals(16, conn.capabilities().host().cpus());
        assertTrue(conn.capabilities().guests().getFirst().domainTypes().contains("test"));
    }

    @Test
    void badDefinitionsAreRefusedAndNothingIsDefined() {
        String ok = TestDriverTck.domainXml("fine");
        java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("broken XML", "<domain type='test'><name>x</name>");
        bad.put("external entity", "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
                + ok.replace("<name>fine</name>", "<name>&e;</name>"));
        bad.put("name with /", ok.replace("<name>fine</name>", "<name>a/b</name>"));
        bad.put("50 MB document", ok.replace("</domain>", "<!--" + "x".repeat(50 * 1024 * 1024) + "--></domain>"));
        bad.put("other domain type", ok.replace("type='test'", "type='kvm'"));
        bad.forEach((what, xml) -> {
            for (Executable call : List.<Executable>of(() -> conn.defineDomain(xml), () -> conn.createDomain(xml))) {
                VirtException e = assertThrows(VirtException.class, call, what);
                assertTrue(e.code() == ErrorCode.XML_ERROR || e.code() == ErrorCode.CONFIG_UNSUPPORTED,
                        what + ": " + e.code() + " " + e.getMessage());
                assertFalse(e.getMessage().contains("\n"), what + ": one line: " + e.getMessage());
                assertFalse(e.getMessage().contains("root:"), what + ": no file content leaks");
            }
            assertEquals(List.of("test"), conn.listDomains().stream().map(Domain::name).toList(), what);
        });
    }

    @Test
    void badUrisAreNoConnect() {
        fails(ErrorCode.NO_CONNECT, () -> Virt.open("test:///no/such/file.xml"));
        fails(ErrorCode.NO_CONNECT, () -> Virt.open("test:///relative"));
        fails(ErrorCode.NO_CONNECT, () -> Virt.open("test+ssh://host/default"));
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("nope:///x"));
        assertEquals(ErrorCode.NO_CONNECT, e.code());
        assertTrue(e.getMessage().startsWith("no connection driver available for 'nope:///x' (drivers found: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("test"), e.getMessage());
    }
}
