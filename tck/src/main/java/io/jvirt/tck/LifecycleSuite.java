package io.jvirt.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.ListFilter;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.StateReason;
import io.jvirt.api.UndefineOption;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Domain lifecycle semantics, the ones libvirt's TCK checks: transient and persistent lifecycles,
 * autostart, redefinition, unique names and UUIDs, fresh ids through old handles, and operations
 * that are invalid on an inactive domain.
 */
public abstract class LifecycleSuite extends TckBase {
    @TempDir
    Path tmp;

    private static boolean listed(Connection c, Domain d, ListFilter... filters) {
        return c.listDomains(filters).stream().anyMatch(x -> x.uuid().equals(d.uuid()));
    }

    private static DomainDef withDescription(DomainDef d, String text) {
        return new DomainDef(d.type(), d.name(), d.uuid(), d.title(), text, d.memoryKiB(), d.currentMemoryKiB(),
                d.vcpus(), d.os(), d.features(), d.cpu(), d.clock(), d.onPoweroff(), d.onReboot(), d.onCrash(),
                d.emulator(), d.devices());
    }

    /** Defines a persistent domain, or asserts NO_SUPPORT and returns null if PERSISTENT is not claimed. */
    private Domain defineOrNoSupport(String xml) {
        if (!claims(Feature.PERSISTENT)) {
            assertFails(ErrorCode.NO_SUPPORT, () -> conn.defineDomain(xml));
            return null;
        }
        return conn.defineDomain(xml);
    }

    @Test
    public void transientLifecycle() {
        String n = name("transient");
        Domain d = conn.createDomain(domainXml(n));
        assertEquals(n, d.name());
        assertTrue(d.isActive());
        assertFalse(d.isPersistent());
        assertTrue(d.id() > 0, "running id");
        assertEquals(DomainState.RUNNING, d.state().state());
        assertEquals(DomainState.RUNNING, d.info().state());
        assertTrue(d.info().vcpus() > 0);
        assertTrue(listed(conn, d, ListFilter.ACTIVE, ListFilter.TRANSIENT));
        assertFalse(listed(conn, d, ListFilter.PERSISTENT));
        assertEquals(d, conn.lookupDomainByName(n));
        assertEquals(d, conn.lookupDomainByUuid(d.uuid()));
        assertEquals(d, conn.lookupDomainById(d.id()));
        assertFails(ErrorCode.OPERATION_INVALID, d::start);

        d.destroy();
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(n));
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByUuid(d.uuid()));
        assertFails(ErrorCode.NO_DOMAIN, d::state);
        assertFails(ErrorCode.NO_DOMAIN, d::destroy);
        assertFalse(listed(conn, d));
    }

    @Test
    public void persistentLifecycle() {
        String n = name("persistent");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        assertFalse(d.isActive());
        assertTrue(d.isPersistent());
        assertEquals(-1, d.id());
        assertEquals(DomainState.SHUTOFF, d.state().state());
        assertTrue(listed(conn, d, ListFilter.INACTIVE, ListFilter.PERSISTENT));

        d.start();
        assertTrue(d.isActive());
        assertTrue(d.id() > 0);
        assertEquals(DomainState.RUNNING, d.state().state());
        assertEquals(d, conn.lookupDomainById(d.id()));
        assertTrue(listed(conn, d, ListFilter.ACTIVE, ListFilter.PERSISTENT));

        if (claims(Feature.SHUTDOWN)) {
            d.shutdown();
            await("graceful shutdown of " + n, shutdownTimeout(), () -> !d.isActive());
            assertEquals(DomainState.SHUTOFF, d.state().state());
            assertEquals(StateReason.SHUTDOWN, d.state().reason());
            assertTrue(d.isPersistent(), "still defined after shutdown");
            d.start();
            assertTrue(d.isActive());
        } else {
            assertFails(ErrorCode.NO_SUPPORT, d::shutdown);
        }
        d.destroy();
        assertFalse(d.isActive());
        assertEquals(-1, d.id());
        assertEquals(DomainState.SHUTOFF, d.state().state());
        assertEquals(StateReason.DESTROYED, d.state().reason());
        assertEquals(d, conn.lookupDomainByName(n), "still defined after destroy");

        d.undefine();
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(n));
        assertFails(ErrorCode.NO_DOMAIN, d::state);
    }

    @Test
    public void undefineWhileRunningLeavesATransientDomain() {
        String n = name("undef-running");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        d.start();
        d.undefine();
        assertTrue(d.isActive());
        assertFalse(d.isPersistent());
        assertFails(ErrorCode.OPERATION_INVALID, d::undefine);
        d.destroy();
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(n));
    }

    @Test
    public void undefineKeepsAManagedSaveImageUnlessAsked() {
        String n = name("undef-msave");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        d.start();
        if (!claims(Feature.MANAGED_SAVE)) {
            assertFails(ErrorCode.NO_SUPPORT, d::managedSave);
            d.destroy();
            d.undefine();
            return;
        }
        d.managedSave();
        assertTrue(d.hasManagedSave());
        VirtException e = assertFails(ErrorCode.OPERATION_INVALID, d::undefine);
        assertTrue(e.getMessage().contains("managed save"), e.getMessage());
        assertTrue(d.isPersistent(), "a refused undefine changes nothing");
        assertTrue(d.hasManagedSave(), "a refused undefine keeps the image");
        d.undefine(UndefineOption.MANAGED_SAVE);
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(n));
    }

    @Test
    public void autostartFlag() {
        String n = name("autostart");
        if (!claims(Feature.PERSISTENT)) {
            Domain t = conn.createDomain(domainXml(n));
            assertFailsOrNoSupport(Feature.AUTOSTART, ErrorCode.OPERATION_INVALID, () -> t.setAutostart(true));
            return;
        }
        Domain d = conn.defineDomain(domainXml(n));
        if (!claims(Feature.AUTOSTART)) {
            assertFails(ErrorCode.NO_SUPPORT, () -> d.setAutostart(true));
            return;
        }
        assertFalse(d.autostart());
        assertTrue(listed(conn, d, ListFilter.NO_AUTOSTART));
        d.setAutostart(true);
        assertTrue(d.autostart());
        assertTrue(listed(conn, d, ListFilter.AUTOSTART, ListFilter.PERSISTENT));
        assertFalse(listed(conn, d, ListFilter.NO_AUTOSTART));
        d.setAutostart(false);
        assertFalse(d.autostart());
        assertFalse(listed(conn, d, ListFilter.AUTOSTART));

        // a transient domain has no autostart flag
        Domain t = conn.createDomain(domainXml(name("autostart-transient")));
        assertFails(ErrorCode.OPERATION_INVALID, () -> t.setAutostart(true));
    }

    @Test
    public void redefinePersistentDomainInPlace() {
        String n = name("redefine");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        UUID uuid = d.uuid();
        DomainDef changed = withDescription(def(n).withUuid(uuid), "redefined by the TCK");
        Domain again = conn.defineDomain(DomainXml.format(changed));
        assertEquals(d, again);
        assertEquals(uuid, again.uuid());
        assertEquals("redefined by the TCK", DomainXml.parse(d.xml(true)).description());
        assertEquals(1, conn.listDomains().stream().filter(x -> x.name().equals(n)).count());

        // redefining a running domain changes the next start only
        d.start();
        DomainDef next = withDescription(changed, "next boot");
        conn.defineDomain(DomainXml.format(next));
        assertTrue(d.isActive());
        assertEquals("redefined by the TCK", DomainXml.parse(d.xml(false)).description());
        assertEquals("next boot", DomainXml.parse(d.xml(true)).description());
        d.destroy();
        assertEquals("next boot", DomainXml.parse(d.xml()).description());
    }

    @Test
    public void transientDomainMadePersistentByDefine() {
        String n = name("make-persistent");
        UUID uuid = UUID.randomUUID();
        Domain d = conn.createDomain(domainXml(n, uuid));
        assertFalse(d.isPersistent());
        if (!claims(Feature.PERSISTENT)) {
            assertFails(ErrorCode.NO_SUPPORT, () -> conn.defineDomain(domainXml(n, uuid)));
            return;
        }
        Domain p = conn.defineDomain(domainXml(n, uuid));
        assertEquals(d, p);
        assertTrue(d.isPersistent());
        assertTrue(d.isActive(), "defining a running domain does not stop it");
        d.destroy();
        assertFalse(d.isActive());
        assertTrue(d.isPersistent(), "a persistent domain stays defined after destroy");
        d.undefine();
        assertFails(ErrorCode.NO_DOMAIN, d::state);
    }

    @Test
    public void uniqueNamesAndUuidsOnDefineAndCreate() {
        String a = name("unique-a");
        String b = name("unique-b");
        UUID ua = UUID.randomUUID();
        Domain first = claims(Feature.PERSISTENT) ? conn.defineDomain(domainXml(a, ua)) : conn.createDomain(domainXml(a, ua));
        int before = conn.listDomains().size();

        Map<String, Executable> clashes = new LinkedHashMap<>();
        if (claims(Feature.PERSISTENT)) {
            clashes.put("define same name, other uuid", () -> conn.defineDomain(domainXml(a, UUID.randomUUID())));
            clashes.put("define other name, same uuid", () -> conn.defineDomain(domainXml(b, ua)));
        }
        clashes.put("create same name, other uuid", () -> conn.createDomain(domainXml(a, UUID.randomUUID())));
        clashes.put("create other name, same uuid", () -> conn.createDomain(domainXml(b, ua)));
        clashes.forEach((what, call) -> {
            VirtException e = assertFails(ErrorCode.DOMAIN_EXISTS, call);
            assertTrue(e.getMessage().contains(a), what + ": the message should name '" + a + "': " + e.getMessage());
        });
        assertEquals(before, conn.listDomains().size(), "a refused definition must not leave a domain behind");
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(b));
        assertEquals(ua, conn.lookupDomainByName(a).uuid());

        // the same definition again: create of a running domain is refused
        if (first.isActive()) {
            assertFails(ErrorCode.OPERATION_INVALID, () -> conn.createDomain(domainXml(a, ua)));
        }
    }

    @Test
    public void oldHandleReportsNoStaleIdAfterRecreate() {
        String n = name("stale");
        UUID uuid = UUID.randomUUID();
        Domain handle = conn.createDomain(domainXml(n, uuid));
        Domain byName = conn.lookupDomainByName(n);
        int firstId = byName.id();
        assertTrue(firstId > 0);
        byName.destroy();
        assertFails(ErrorCode.NO_DOMAIN, handle::id);

        conn.createDomain(domainXml(n, uuid));
        Domain fresh = conn.lookupDomainByName(n);
        assertTrue(fresh.id() > 0);
        assertEquals(fresh.id(), handle.id(), "an old handle on the same uuid must report the new id");
        assertEquals(fresh.id(), byName.id());
        assertEquals(fresh.state(), handle.state());
        fresh.destroy();

        // re-created under the same name with another uuid: the old handle names a gone domain
        Domain other = conn.createDomain(domainXml(n, UUID.randomUUID()));
        assertNotEquals(other.uuid(), handle.uuid());
        assertFails(ErrorCode.NO_DOMAIN, handle::id);
        assertFails(ErrorCode.NO_DOMAIN, handle::destroy);
        assertTrue(other.isActive(), "a stale handle must not act on the new domain");
    }

    @Test
    public void suspendAndResumeARunningDomain() {
        Domain d = conn.createDomain(domainXml(name("suspend")));
        if (!claims(Feature.SUSPEND)) {
            assertFails(ErrorCode.NO_SUPPORT, d::suspend);
            assertFails(ErrorCode.NO_SUPPORT, d::resume);
            return;
        }
        d.suspend();
        assertEquals(DomainState.PAUSED, d.state().state());
        assertTrue(d.isActive());
        d.resume();
        assertEquals(DomainState.RUNNING, d.state().state());
    }

    @Test
    public void rebootKeepsTheDomainRunning() {
        Domain d = conn.createDomain(domainXml(name("reboot")));
        if (!claims(Feature.SHUTDOWN)) {
            assertFails(ErrorCode.NO_SUPPORT, d::reboot);
            return;
        }
        int id = d.id();
        d.reboot();
        assertTrue(d.isActive(), "a guest reboot does not stop the domain");
        assertEquals(id, d.id(), "a guest reboot keeps the domain's id");
        assertEquals(d, conn.lookupDomainById(id));
    }

    @Test
    public void startingARunningDomainIsInvalidAndChangesNothing() {
        String n = name("start-running");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        d.start();
        int id = d.id();
        VirtException e = assertFails(ErrorCode.OPERATION_INVALID, d::start);
        assertTrue(e.getMessage().contains("running") || e.getMessage().contains("active"), e.getMessage());
        assertEquals(id, d.id());
        assertEquals(DomainState.RUNNING, d.state().state());
    }

    @Test
    public void invalidOperationsOnAnInactiveDomain() {
        String n = name("inactive");
        Domain d = defineOrNoSupport(domainXml(n));
        if (d == null) {
            return;
        }
        Connection dest = claims(Feature.MIGRATION) ? openExtraConnection() : conn;
        Path file = tmp.resolve("save.img");
        Map<String, Executable> ops = new LinkedHashMap<>();
        Map<String, Feature> needs = new LinkedHashMap<>();
        ops.put("destroy", d::destroy);
        ops.put("suspend", d::suspend);
        needs.put("suspend", Feature.SUSPEND);
        ops.put("resume", d::resume);
        needs.put("resume", Feature.SUSPEND);
        ops.put("shutdown", d::shutdown);
        needs.put("shutdown", Feature.SHUTDOWN);
        ops.put("reboot", d::reboot);
        needs.put("reboot", Feature.SHUTDOWN);
        ops.put("save", () -> d.save(file));
        needs.put("save", Feature.SAVE);
        ops.put("managedSave", d::managedSave);
        needs.put("managedSave", Feature.MANAGED_SAVE);
        ops.put("migrate", () -> d.migrate(dest, MigrateOptions.live()));
        needs.put("migrate", Feature.MIGRATION);
        ops.put("agentCommand", () -> d.agentCommand("{\"execute\":\"guest-ping\"}", Duration.ofSeconds(5)));
        needs.put("agentCommand", Feature.AGENT);
        ops.put("guestInfo", d::guestInfo);
        needs.put("guestInfo", Feature.AGENT);
        ops.put("fsFreeze", () -> d.fsFreeze(java.util.List.of()));
        needs.put("fsFreeze", Feature.AGENT);
        ops.forEach((op, call) -> {
            Feature f = needs.get(op);
            ErrorCode want = f == null || claims(f) ? ErrorCode.OPERATION_INVALID : ErrorCode.NO_SUPPORT;
            VirtException e = org.junit.jupiter.api.Assertions.assertThrows(VirtException.class, call,
                    op + " on an inactive domain must fail");
            assertEquals(want, e.code(), op + " on an inactive domain: " + e.getMessage());
        });
        assertFalse(d.isActive(), "nothing may have started the domain");
        assertTrue(d.isPersistent());
    }
}
