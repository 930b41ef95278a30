package io.jvirt.driver.vz;

import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.VmState;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.SnapshotData;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.event.EventSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vz driver's calls against the SDK emulator, one behaviour at a time. */
@Timeout(60)
class VzSimDriverTest {

    private static VirtException fails(ErrorCode code, Runnable r) {
        VirtException e = assertThrows(VirtException.class, r::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void capabilitiesSayEmulatedAndListFeatures() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            Capabilities c = f.driver.capabilities();
            assertTrue(c.notes().stream().anyMatch(n -> n.contains("emulated")), c.notes().toString());
            assertTrue(c.has(Feature.MIGRATION) && c.has(Feature.SNAPSHOTS) && c.has(Feature.JOBS));
            assertFalse(c.has(Feature.SAVE));
            assertEquals(List.of("vz"), c.guests().getFirst().domainTypes());
            assertEquals("vz", f.driver.name());
        }
    }

    @Test
    void systemWithoutBindingFailsNoConnect() {
        VzDriverProvider p = new VzDriverProvider();
        assertTrue(p.accepts(VirtUri.parse("vz:///system")));
        VirtException e = fails(ErrorCode.NO_CONNECT, () -> p.open(VirtUri.parse("vz:///system"), new DriverContext(EventSink.discard())));
        assertTrue(e.getMessage().contains("no real Virtuozzo SDK binding"), e.getMessage());
    }

    @Test
    void badUriParametersAreNamed() {
        VzDriverProvider p = new VzDriverProvider();
        DriverContext ctx = new DriverContext(EventSink.discard());
        assertTrue(fails(ErrorCode.INVALID_ARG, () -> p.open(VirtUri.parse("vz:///sim?bogus=1"), ctx)).getMessage().contains("bogus"));
        assertTrue(fails(ErrorCode.INVALID_ARG, () -> p.open(VirtUri.parse("vz:///sim?latency.warp=5"), ctx)).getMessage().contains("warp"));
        assertTrue(fails(ErrorCode.INVALID_ARG, () -> p.open(VirtUri.parse("vz:///sim?jobWaitTimeoutMs=x"), ctx)).getMessage().contains("jobWaitTimeoutMs"));
        fails(ErrorCode.NO_CONNECT, () -> p.open(VirtUri.parse("vz:///nowhere"), ctx));
    }

    @Test
    void lifecycleUpdatesCacheAndEmitsEachTransitionOnce() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            DomainObj d = f.define("life");
            assertEquals(DomainState.SHUTOFF, d.state());
            assertTrue(d.isPersistent());
            f.driver.start(d);
            assertEquals(DomainState.RUNNING, d.state());
            assertEquals(StateReason.BOOTED, d.status().reason());
            assertTrue(d.id() > 0);
            assertEquals(d, f.driver.domains().byId(d.id()));
            f.driver.suspend(d);
            assertEquals(DomainState.PAUSED, d.state());
            fails(ErrorCode.OPERATION_INVALID, () -> f.driver.suspend(d));
            f.driver.resume(d);
            f.driver.reboot(d, io.jvirt.api.ShutdownMode.DEFAULT);
            f.driver.shutdown(d, io.jvirt.api.ShutdownMode.DEFAULT);
            assertEquals(DomainState.SHUTOFF, d.state());
            assertEquals(-1, d.id());
            fails(ErrorCode.OPERATION_INVALID, () -> f.driver.destroy(d));
            f.driver.start(d);
            f.driver.destroy(d);
            assertEquals(StateReason.DESTROYED, d.status().reason());
            f.settle();
            assertEquals(2, f.count(d.uuid(), Lifecycle.STARTED));
            assertEquals(2, f.count(d.uuid(), Lifecycle.STOPPED));
            assertEquals(1, f.count(d.uuid(), Lifecycle.SUSPENDED));
            assertEquals(1, f.count(d.uuid(), Lifecycle.RESUMED));
            f.driver.undefine(d);
            assertTrue(d.isRemoved());
            assertNull(f.driver.domains().findByUuid(d.uuid()));
            f.settle();
            assertEquals(1, f.count(d.uuid(), Lifecycle.UNDEFINED));
        }
    }

    @Test
    void defineUpdateUndefineRunningAndTransientCreate() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            DomainObj d = f.running("upd");
            DomainDef changed = VzFixture.def("upd").withCurrentMemoryKiB(524288);
            assertEquals(d, f.driver.define(changed));
            assertEquals(1048576, d.def().currentMemoryKiB(), "a running domain keeps its live definition");
            assertEquals(524288, d.inactiveDef().currentMemoryKiB(), "the next start uses the new one");
            fails(ErrorCode.DOMAIN_EXISTS, () -> f.driver.define(VzFixture.def("upd").withUuid(UUID.randomUUID())));
            fails(ErrorCode.CONFIG_UNSUPPORTED, () -> f.driver.define(new DomainDef("kvm", "k", UUID.randomUUID(), null,
                    null, 1024, 1024, 1, VzFixture.def("x").os(), List.of(), null, null, null, null, null, null, List.of())));
            f.driver.undefine(d);
            assertFalse(d.isPersistent());
            assertTrue(d.isActive());
            f.driver.destroy(d);
            assertTrue(d.isRemoved(), "a transient domain goes away when it stops");

            DomainObj t = f.driver.create(VzFixture.def("trans"));
            assertTrue(t.isActive());
            assertFalse(t.isPersistent());
            f.driver.shutdown(t, io.jvirt.api.ShutdownMode.DEFAULT);
            assertTrue(t.isRemoved());
        }
    }

    @Test
    void changesByAnotherToolReachTheCache() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            DomainDef def = VzFixture.def("outside");
            UUID id = f.sim.externalDefine(def);
            VzFixture.waitFor(Duration.ofSeconds(5), () -> f.driver.domains().findByUuid(id) != null);
            DomainObj d = f.driver.domains().byUuid(id);
            assertNotNull(d.privateData());
            f.sim.externalChange(id, x -> x.withCurrentMemoryKiB(262144));
            VzFixture.waitFor(Duration.ofSeconds(5), () -> d.def().currentMemoryKiB() == 262144);
            f.sim.externalSetState(id, VmState.RUNNING, "booted");
            VzFixture.waitFor(Duration.ofSeconds(5), () -> d.state() == DomainState.RUNNING);
            f.sim.externalSetState(id, VmState.STOPPED, "crashed");
            VzFixture.waitFor(Duration.ofSeconds(5), () -> d.state() == DomainState.SHUTOFF);
            assertEquals(StateReason.CRASHED, d.status().reason());
            f.sim.externalRemove(id);
            VzFixture.waitFor(Duration.ofSeconds(5), d::isRemoved);
            f.settle();
            assertEquals(1, f.count(id, Lifecycle.DEFINED));
            assertEquals(1, f.count(id, Lifecycle.UNDEFINED));
        }
    }

    @Test
    void snapshotsCreateListRevertDelete() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            DomainObj d = f.running("snap");
            SnapshotData s1 = f.driver.createSnapshot(d, "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>");
            assertTrue(s1.current());
            assertTrue(s1.xml().contains("<state>running</state>"), s1.xml());
            f.driver.setMemory(d, 524288);
            SnapshotData s2 = f.driver.createSnapshot(d, "<domainsnapshot><name>s2</name></domainsnapshot>");
            assertEquals("s1", s2.parent());
            fails(ErrorCode.DOMAIN_EXISTS, () -> f.driver.createSnapshot(d, "<domainsnapshot><name>s2</name></domainsnapshot>"));
            fails(ErrorCode.CONFIG_UNSUPPORTED, () -> f.driver.createSnapshot(d, "<domainsnapshot><disks/></domainsnapshot>"));
            fails(ErrorCode.XML_ERROR, () -> f.driver.createSnapshot(d, "<domainsnapshot><name>x</name>"));
            assertEquals(List.of("s1", "s2"), f.driver.listSnapshots(d).stream().map(SnapshotData::name).toList());
            f.driver.destroy(d);
            f.driver.revertSnapshot(d, "s1");
            assertEquals(DomainState.RUNNING, d.state());
            assertEquals(1048576, d.def().currentMemoryKiB());
            assertTrue(f.driver.snapshot(d, "s1").current());
            assertEquals(JobInfo.Type.COMPLETED, f.driver.jobInfo(d).type());
            assertEquals("snapshot", f.driver.jobInfo(d).operation());
            fails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> f.driver.snapshot(d, "nope"));
            fails(ErrorCode.OPERATION_INVALID, () -> f.driver.abortJob(d));
            fails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> f.driver.revertSnapshot(d, "nope"));
            f.driver.deleteSnapshot(d, "s1");
            SnapshotData s2b = f.driver.snapshot(d, "s2");
            assertNull(s2b.parent());
            fails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> f.driver.deleteSnapshot(d, "s1"));
        }
    }

    @Test
    void failedSnapshotIsReportedAndLeavesNoJob() {
        try (VzFixture f = new VzFixture("vz:///sim?fail.snapshot=once&latency.snapshot=100")) {
            DomainObj d = f.running("snapfail");
            VirtException e = fails(ErrorCode.OPERATION_FAILED, () -> f.driver.createSnapshot(d, null));
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
            assertEquals(JobInfo.Type.FAILED, f.driver.jobInfo(d).type());
            assertTrue(f.driver.listSnapshots(d).isEmpty());
            f.driver.suspend(d); // no job left behind
        }
    }

    @Test
    void abortCancelsASnapshotJob() throws Exception {
        try (VzFixture f = new VzFixture("vz:///sim?latency.snapshot=5000")) {
            DomainObj d = f.running("snapabort");
            var call = java.util.concurrent.CompletableFuture.runAsync(() -> f.driver.createSnapshot(d,
                    "<domainsnapshot><name>slow</name></domainsnapshot>"));
            VzFixture.waitFor(Duration.ofSeconds(5), () -> f.driver.jobInfo(d).operation().equals("snapshot")
                    && f.driver.jobInfo(d).type() == JobInfo.Type.BOUNDED);
            long t0 = System.nanoTime();
            f.driver.abortJob(d);
            var e = assertThrows(java.util.concurrent.CompletionException.class, call::join);
            assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(2));
            assertEquals(ErrorCode.OPERATION_ABORTED, ((VirtException) e.getCause()).code(), e.getCause().getMessage());
            assertEquals(JobInfo.Type.CANCELLED, f.driver.jobInfo(d).type());
            assertTrue(f.driver.listSnapshots(d).isEmpty());
            assertEquals(DomainState.RUNNING, d.state());
        }
    }

    @Test
    void managedSaveAndRemove() {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            DomainObj d = f.running("ms");
            f.driver.managedSave(d);
            assertEquals(DomainState.SHUTOFF, d.state());
            assertEquals(StateReason.SAVED, d.status().reason());
            assertTrue(f.driver.hasManagedSave(d));
            f.driver.start(d);
            assertEquals(StateReason.RESTORED, d.status().reason());
            assertFalse(f.driver.hasManagedSave(d));
            f.driver.managedSave(d);
            f.driver.managedSaveRemove(d);
            assertFalse(f.driver.hasManagedSave(d));
            f.driver.start(d);
            assertEquals(StateReason.BOOTED, d.status().reason());
        }
    }

    @Test
    void devicesMemoryAndStatsFromCache() {
        try (VzFixture f = new VzFixture("vz:///sim?statsPeriodMs=50")) {
            DomainObj d = f.running("dev");
            f.driver.attachDevice(d, "<disk type='file' device='disk'><source file='/vz/d2.hdd'/><target dev='sdb' bus='sata'/></disk>");
            assertEquals(2, d.def().disks().size());
            fails(ErrorCode.OPERATION_INVALID, () -> f.driver.attachDevice(d,
                    "<disk type='file' device='disk'><source file='/vz/d3.hdd'/><target dev='sdb' bus='sata'/></disk>"));
            f.driver.attachDevice(d, "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br1'/></interface>");
            f.driver.detachDevice(d, "<disk type='file' device='disk'><source file='/vz/d2.hdd'/><target dev='sdb' bus='sata'/></disk>");
            fails(ErrorCode.DEVICE_MISSING, () -> f.driver.detachDevice(d,
                    "<disk type='file' device='disk'><source file='/vz/d2.hdd'/><target dev='sdb' bus='sata'/></disk>"));
            f.driver.setMemory(d, 524288);
            assertEquals(524288, f.driver.info(d).memoryKiB());
            fails(ErrorCode.INVALID_ARG, () -> f.driver.setMemory(d, 99_999_999));
            VzFixture.waitFor(Duration.ofSeconds(5), () -> f.driver.blockStats(d, "sda").rdReq() > 0);
            VzFixture.waitFor(Duration.ofSeconds(5), () -> f.driver.interfaceStats(d, "52:54:00:aa:bb:cc").rxBytes() > 0);
            assertTrue(f.driver.interfaceStats(d, "vme0").rxPackets() >= 0);
            assertEquals(524288L, f.driver.memoryStats(d).get("actual"));
            fails(ErrorCode.INVALID_ARG, () -> f.driver.blockStats(d, "sdz"));
            fails(ErrorCode.INVALID_ARG, () -> f.driver.interfaceStats(d, "nope0"));
            assertTrue(f.driver.info(d).cpuTimeNanos() > 0);
            assertTrue(f.driver.xml(d, false).contains("type=\"vz\"") || f.driver.xml(d, false).contains("type='vz'"));
        }
    }

    @Test
    void persistedRootSurvivesReopen(@TempDir Path root) throws Exception {
        String uri = "vz:///sim?root=" + root;
        UUID id;
        try (VzFixture f = new VzFixture(uri)) {
            DomainObj d = f.running("keep");
            f.driver.createSnapshot(d, "<domainsnapshot><name>k1</name></domainsnapshot>");
            f.driver.setAutostart(d, true);
            id = d.uuid();
        }
        try (var files = Files.list(root.resolve("vms"))) {
            assertEquals(List.of(id + ".vm"), files.map(p -> p.getFileName().toString()).toList());
        }
        try (VzFixture f = new VzFixture(uri)) {
            DomainObj d = f.driver.domains().byUuid(id);
            assertEquals(DomainState.RUNNING, d.state());
            assertTrue(d.isAutostart());
            assertEquals("k1", f.driver.listSnapshots(d).getFirst().name());
            f.driver.destroy(d);
            VirtException kept = assertThrows(VirtException.class, () -> f.driver.undefine(d));
            assertTrue(kept.getMessage().contains("1 snapshot"), kept.getMessage());
            f.driver.undefine(d, java.util.Set.of(io.jvirt.api.UndefineOption.SNAPSHOTS_METADATA));
        }
        try (var files = Files.list(root.resolve("vms"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void migrationBetweenTwoNamedHosts() {
        try (VzFixture a = new VzFixture("vz:///sim?host=mig-a&latency.migrate=200");
             VzFixture b = new VzFixture("vz:///sim?host=mig-b")) {
            DomainObj d = a.running("traveller");
            a.driver.createSnapshot(d, "<domainsnapshot><name>before</name></domainsnapshot>");
            DomainObj there = a.driver.migrate(d, b.driver, MigrateOptions.live());
            assertTrue(d.isRemoved());
            assertNull(a.driver.domains().findByUuid(d.uuid()));
            assertEquals(DomainState.RUNNING, there.state());
            assertEquals(StateReason.MIGRATED, there.status().reason());
            assertEquals(List.of("before"), b.driver.listSnapshots(there).stream().map(SnapshotData::name).toList());
            assertEquals(JobInfo.Type.COMPLETED, a.driver.jobInfo(d).type());
            fails(ErrorCode.OPERATION_INVALID, () -> b.driver.migrate(there, b.driver, MigrateOptions.live()));
            DomainObj back = b.driver.migrate(there, a.driver, MigrateOptions.live().destinationName("returned"));
            assertEquals("returned", back.name());
            a.settle();
            b.settle();
            assertEquals(1, a.driver.domains().size());
            assertEquals(0, b.driver.domains().size());
        }
    }

    @Test
    void migrationFailingAtAChosenStepLeavesTheDomainOnTheSource() {
        try (VzFixture a = new VzFixture("vz:///sim?host=migfail-a&latency.migrate=400&fail.migrate=once&failAt.migrate=0.75");
             VzFixture b = new VzFixture("vz:///sim?host=migfail-b")) {
            DomainObj d = a.running("stayer");
            long t0 = System.nanoTime();
            VirtException e = fails(ErrorCode.OPERATION_FAILED, () -> a.driver.migrate(d, b.driver, MigrateOptions.live()));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 250 && ms < 2000, "failed after " + ms + " ms, expected at ~300 ms");
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
            assertFalse(d.isRemoved());
            assertEquals(DomainState.RUNNING, d.state());
            assertEquals(JobInfo.Type.FAILED, a.driver.jobInfo(d).type());
            assertEquals(0, b.driver.domains().size());
            DomainObj there = a.driver.migrate(d, b.driver, MigrateOptions.live()); // the next one succeeds
            assertEquals(DomainState.RUNNING, there.state());
        }
    }

    @Test
    void twoConnectionsToOneNamedHostShareIt() {
        try (VzFixture a = new VzFixture("vz:///sim?host=shared-1"); VzFixture b = new VzFixture("vz:///sim?host=shared-1")) {
            DomainObj d = a.running("seen");
            VzFixture.waitFor(Duration.ofSeconds(5), () -> {
                DomainObj x = b.driver.domains().findByUuid(d.uuid());
                return x != null && x.state() == DomainState.RUNNING;
            });
            assertEquals(a.sim.address(), b.sim.address());
            assertEquals(1, b.driver.domains().list(x -> true).size());
            assertEquals(List.of(Device.Disk.class), b.driver.domains().byUuid(d.uuid()).def().disks().stream()
                    .map(Object::getClass).distinct().map(c -> (Class<?>) Device.Disk.class).toList());
        }
    }
}
