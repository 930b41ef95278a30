package io.jvirt.spi.internal;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.ListFilter;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.spi.Defs;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class SpiConnectionTest {
    private final Connection conn = Virt.open("unit:///x");
    private final UnitDriverProvider.UnitDriver driver = conn.unwrap(UnitDriverProvider.UnitDriver.class);

    @AfterEach
    void close() {
        conn.close();
    }

    private static void fails(ErrorCode code, Executable call) {
        VirtException e = assertThrows(VirtException.class, call);
        assertEquals(code, e.code(), e.getMessage());
    }

    @Test
    void opensThroughServiceLoader() {
        assertEquals("unit:///x", conn.uri());
        assertEquals("Unit", conn.driverName());
        assertEquals("1.2.3", conn.version().toString());
        assertTrue(conn.isAlive());
        assertTrue(conn.isWrapperFor(HypervisorDriver.class));
        assertSame(conn, conn.unwrap(Connection.class));
    }

    @Test
    void unknownSchemeListsDriversFound() {
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("nope:///x"));
        assertEquals(ErrorCode.NO_CONNECT, e.code());
        assertEquals("no connection driver available for 'nope:///x' (drivers found: unit)", e.getMessage());
    }

    @Test
    void driverRefusalPropagates() {
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("unit:///refuse"));
        assertEquals(ErrorCode.NO_CONNECT, e.code());
    }

    @Test
    void unknownExtraIsNoSupport() {
        assertFalse(conn.isWrapperFor(String.class));
        fails(ErrorCode.NO_SUPPORT, () -> conn.unwrap(String.class));
    }

    @Test
    void handleResolvesFreshEveryCall() {
        UUID u = UUID.randomUUID();
        driver.add(Defs.def("a", u));
        Domain d = conn.lookupDomainByName("a");
        assertEquals(u, d.uuid());
        assertEquals(-1, d.id());
        assertFalse(d.isActive());
        d.start();
        assertEquals(1, d.id());
        assertEquals(DomainState.RUNNING, d.state().state());
        assertEquals(d, conn.lookupDomainById(1));
        assertEquals(d, conn.lookupDomainByUuid(u));
        d.destroy();
        assertEquals(-1, d.id());
        d.start();
        assertEquals(2, d.id(), "a handle must not report a stale id");
        fails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainById(1));
    }

    @Test
    void goneDomainIsNoDomainAndRecreatedIsNotStale() {
        UUID u = UUID.randomUUID();
        driver.add(Defs.def("a", u));
        Domain old = conn.lookupDomainByName("a");
        old.start();
        old.destroy();
        old.undefine();
        fails(ErrorCode.NO_DOMAIN, old::id);
        fails(ErrorCode.NO_DOMAIN, old::state);
        fails(ErrorCode.NO_DOMAIN, old::start);
        VirtException e = assertThrows(VirtException.class, old::isActive);
        assertTrue(e.getMessage().contains(u.toString()) && e.getMessage().contains("'a'"), e.getMessage());
        // re-created under the same name with another uuid: the old handle stays gone
        driver.add(Defs.def("a"));
        conn.lookupDomainByName("a").start();
        fails(ErrorCode.NO_DOMAIN, old::id);
        assertNotEquals(old, conn.lookupDomainByName("a"));
    }

    @Test
    void listFiltersIntersectAndOrderRunningFirst() {
        for (String n : List.of("c", "b", "a")) {
            driver.add(Defs.def(n));
        }
        conn.lookupDomainByName("c").start();
        conn.lookupDomainByName("a").start();
        conn.lookupDomainByName("b").setAutostart(true);
        assertEquals(List.of("c", "a", "b"), conn.listDomains().stream().map(Domain::name).toList());
        assertEquals(List.of("c", "a"), conn.listDomains(ListFilter.ACTIVE).stream().map(Domain::name).toList());
        assertEquals(List.of("b"), conn.listDomains(ListFilter.INACTIVE, ListFilter.AUTOSTART).stream()
                .map(Domain::name).toList());
        assertEquals(List.of(), conn.listDomains(ListFilter.ACTIVE, ListFilter.AUTOSTART));
        assertEquals(3, conn.listDomains(ListFilter.PERSISTENT).size());
        assertEquals(0, conn.listDomains(ListFilter.TRANSIENT).size());
    }

    @Test
    void missingLookupsAreNoDomain() {
        fails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName("none"));
        fails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByUuid(UUID.randomUUID()));
        fails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainById(42));
    }

    @Test
    void optionalOperationsAnswerNoSupport() {
        driver.add(Defs.def("a"));
        Domain d = conn.lookupDomainByName("a");
        fails(ErrorCode.NO_SUPPORT, () -> d.save(Path.of("/tmp/x")));
        fails(ErrorCode.NO_SUPPORT, d::managedSave);
        fails(ErrorCode.NO_SUPPORT, () -> d.blockJobInfo("vda"));
        fails(ErrorCode.NO_SUPPORT, () -> d.attachDevice("<disk/>"));
        fails(ErrorCode.NO_SUPPORT, d::memoryStats);
        fails(ErrorCode.NO_SUPPORT, () -> d.agentCommand("{}", java.time.Duration.ofSeconds(1)));
        fails(ErrorCode.NO_SUPPORT, () -> conn.restoreDomain(Path.of("/tmp/x")));
        fails(ErrorCode.NO_SUPPORT, () -> d.unwrap(String.class));
        assertFalse(d.isWrapperFor(String.class));
        assertSame(d, d.unwrap(Domain.class));
    }

    @Test
    void domainExtrasComeFromTheDriver() {
        DomainObj obj = driver.add(Defs.def("a"));
        Domain d = conn.lookupDomainByName("a");
        assertTrue(d.isWrapperFor(DomainObj.class));
        assertSame(obj, d.unwrap(DomainObj.class));
    }

    @Test
    void migrateHandsTheDestinationDriverAndReturnsAHandleThere() {
        try (Connection dest = Virt.open("unit:///dest")) {
            UUID u = UUID.randomUUID();
            driver.add(Defs.def("m", u));
            Domain d = conn.lookupDomainByName("m");
            fails(ErrorCode.OPERATION_INVALID, () -> d.migrate(dest, MigrateOptions.live()));
            d.start();
            Domain there = d.migrate(dest, MigrateOptions.live());
            assertSame(dest, there.connection());
            assertEquals(u, there.uuid());
            assertTrue(there.isActive());
            assertEquals(DomainState.RUNNING, there.state().state());
            fails(ErrorCode.NO_DOMAIN, d::state);
            fails(ErrorCode.INVALID_ARG, () -> there.migrate(new ForeignConnection(), MigrateOptions.live()));
        }
    }

    @Test
    void snapshotHandlesFollowTheDriver() {
        driver.add(Defs.def("s"));
        Domain d = conn.lookupDomainByName("s");
        var s1 = d.createSnapshot("<domainsnapshot><name>one</name></domainsnapshot>");
        var s2 = d.createSnapshot("<domainsnapshot><name>two</name></domainsnapshot>");
        assertEquals("one", s1.name());
        assertSame(d, s1.domain());
        assertFalse(s1.isCurrent(), "a handle asks the driver: 'one' is no longer current");
        assertTrue(s2.isCurrent());
        assertEquals(s1, s2.parent().orElseThrow());
        assertTrue(s1.parent().isEmpty());
        assertEquals(List.of(s2), s1.children());
        assertEquals(List.of(s1, s2), d.listSnapshots());
        assertEquals(s2, d.snapshot("two"));
        assertTrue(s2.xml().contains("<name>two</name>"));
        fails(ErrorCode.NO_SUPPORT, s1::revert);
        s2.delete();
        fails(ErrorCode.NO_DOMAIN_SNAPSHOT, s2::xml);
        assertEquals(List.of(s1), d.listSnapshots());
    }

    /** A Connection that is not the framework's. */
    private static final class ForeignConnection implements Connection {
        @Override public String uri() { return "foreign:///"; }
        @Override public String driverName() { return "foreign"; }
        @Override public io.jvirt.api.Version version() { return new io.jvirt.api.Version(0, 0, 1); }
        @Override public List<Domain> listDomains(ListFilter... filters) { return List.of(); }
        @Override public Domain lookupDomainByName(String name) { throw new UnsupportedOperationException(); }
        @Override public Domain lookupDomainByUuid(UUID uuid) { throw new UnsupportedOperationException(); }
        @Override public Domain lookupDomainById(int id) { throw new UnsupportedOperationException(); }
        @Override public Domain defineDomain(String xml) { throw new UnsupportedOperationException(); }
        @Override public Domain createDomain(String xml) { throw new UnsupportedOperationException(); }
        @Override public Domain restoreDomain(Path file) { throw new UnsupportedOperationException(); }
        @Override public io.jvirt.api.Capabilities capabilities() { throw new UnsupportedOperationException(); }
        @Override public io.jvirt.api.Events events() { throw new UnsupportedOperationException(); }
        @Override public boolean isAlive() { return true; }
        @Override public void close() { }
        @Override public <T> T unwrap(Class<T> type) { throw new UnsupportedOperationException(); }
        @Override public boolean isWrapperFor(Class<?> type) { return false; }
    }

    @Test
    void eventsArriveOnDispatchThread() throws Exception {
        BlockingQueue<Object[]> got = new LinkedBlockingQueue<>();
        driver.add(Defs.def("a"));
        Domain d = conn.lookupDomainByName("a");
        conn.events().subscribe(d.uuid(), e -> got.add(new Object[] {e, Thread.currentThread()}));
        d.start();
        Object[] first = got.poll(5, TimeUnit.SECONDS);
        assertNotNull(first);
        assertEquals(DomainEvent.Lifecycle.STARTED, ((DomainEvent.LifecycleEvent) first[0]).kind());
        assertSame(conn.unwrap(SpiConnection.class).dispatcher().thread(), first[1]);
    }

    @Test
    void closeClosesDriverAndDispatcherThenInvalidConn() throws Exception {
        driver.add(Defs.def("a"));
        Domain d = conn.lookupDomainByName("a");
        Thread dispatch = conn.unwrap(SpiConnection.class).dispatcher().thread();
        conn.close();
        conn.close();
        assertTrue(driver.isClosed());
        assertFalse(conn.isAlive());
        dispatch.join(5_000);
        assertFalse(dispatch.isAlive());
        fails(ErrorCode.INVALID_CONN, conn::listDomains);
        fails(ErrorCode.INVALID_CONN, conn::uri);
        fails(ErrorCode.INVALID_CONN, conn::events);
        fails(ErrorCode.INVALID_CONN, d::state);
        fails(ErrorCode.INVALID_CONN, d::start);
    }

    @Test
    void aConnectionDroppedWithoutCloseIsClosedByTheCleaner() throws Exception {
        Connection leaked = Virt.open("unit:///leak");
        UnitDriverProvider.UnitDriver leakedDriver = leaked.unwrap(UnitDriverProvider.UnitDriver.class);
        Thread dispatch = leaked.unwrap(SpiConnection.class).dispatcher().thread();
        leaked = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!leakedDriver.isClosed() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(leakedDriver.isClosed(), "the driver of an unreachable connection is closed");
        dispatch.join(5_000);
        assertFalse(dispatch.isAlive(), "its dispatch thread ends");
    }

    @Test
    void emptyXmlIsXmlError() {
        fails(ErrorCode.XML_ERROR, () -> conn.defineDomain("  "));
    }

    @Test
    void domainObjIsResolvedPerCall() {
        UUID u = UUID.randomUUID();
        DomainObj obj = driver.add(Defs.def("a", u));
        Domain d = conn.lookupDomainByUuid(u);
        assertSame(obj, ((SpiDomain) d).obj());
    }
}
