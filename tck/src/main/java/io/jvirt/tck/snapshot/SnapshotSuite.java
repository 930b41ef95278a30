package io.jvirt.tck.snapshot;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainSnapshot;
import io.jvirt.api.DomainState;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.Events;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.JobInfo;
import io.jvirt.api.StateReason;
import io.jvirt.api.UndefineOption;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.tck.EventRecorder;
import io.jvirt.tck.TckBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Domain snapshots as libvirt defines them: creating one of an inactive and of a running domain,
 * finding and describing it, the parent/children tree and the current snapshot, reverting (state
 * and definition come back), deleting (children move to the deleted one's parent), and the errors
 * (unknown name, duplicate name, malformed XML). While a (slowed-down) snapshot is taken, queries
 * and {@code jobInfo()} answer.
 *
 * <p>For a driver that does not claim {@link Feature#SNAPSHOTS}, each test asserts instead that the
 * snapshot call it is about fails with {@code NO_SUPPORT} on its domain (often an inactive one;
 * {@code FeatureSuite} checks the running case). The suite defines its domains, so a driver that
 * claims SNAPSHOTS must claim {@link Feature#PERSISTENT} too.
 *
 * <p>Undefine keeps snapshots: a domain that has any is not undefined unless
 * {@link UndefineOption#SNAPSHOTS_METADATA} says to delete them too (as libvirt refuses without
 * its flag).
 */
public abstract class SnapshotSuite extends TckBase {
    private static final System.Logger LOG = System.getLogger(SnapshotSuite.class.getName());

    /** How long a snapshot create must take on {@link #openConnectionWithSlowSnapshots(Duration)}. */
    protected static final Duration SLOW_SNAPSHOT = Duration.ofSeconds(2);

    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * A connection to the driver on which creating a snapshot of a running {@link #domainXml(String)}
     * domain takes at least {@code atLeast} (an emulator's latency setting, a large guest memory, …).
     * A driver that does not claim SNAPSHOTS may return {@link #openConnection()}.
     */
    protected abstract Connection openConnectionWithSlowSnapshots(Duration atLeast);

    /** A snapshot request: {@code <domainsnapshot>} with a name and a description. */
    protected static String snapshotXml(String name, String description) {
        return "<domainsnapshot><name>" + name + "</name><description>" + description
                + "</description></domainsnapshot>";
    }

    @AfterEach
    final void deleteSnapshots() {
        // runs before TckBase's clean-up: some drivers refuse to undefine a domain with snapshots
        if (conn == null || !conn.isAlive() || !claims(Feature.SNAPSHOTS)) {
            return;
        }
        for (Domain d : conn.listDomains()) {
            if (d.name().startsWith("tck-")) {
                deleteAll(d);
            }
        }
    }

    private static void deleteAll(Domain d) {
        try {
            for (DomainSnapshot s : d.listSnapshots()) {
                s.delete();
            }
        } catch (VirtException e) {
            LOG.log(Level.DEBUG, "clean-up of snapshots of " + d.name() + ": " + e.getMessage());
        }
    }

    // ---- helpers ----

    /** A defined, inactive domain. */
    private Domain defined(String stem) {
        if (claims(Feature.SNAPSHOTS) && !claims(Feature.PERSISTENT)) {
            fail("the driver claims SNAPSHOTS but not PERSISTENT: the snapshot suite needs defined domains");
        }
        return claims(Feature.PERSISTENT) ? conn.defineDomain(domainXml(name(stem))) : null;
    }

    /** A defined, running domain. */
    private Domain running(String stem) {
        Domain d = defined(stem);
        if (d == null) {
            return conn.createDomain(domainXml(name(stem)));
        }
        d.start();
        return d;
    }

    /** The domain to use: defined if PERSISTENT is claimed, else a transient running one (unclaimed path only). */
    private Domain inactiveOrAny(String stem) {
        Domain d = defined(stem);
        return d != null ? d : conn.createDomain(domainXml(name(stem)));
    }

    /**
     * Creates a snapshot when SNAPSHOTS is claimed; otherwise asserts that the call fails with
     * {@code NO_SUPPORT}, leaves the domain as it was, and returns null.
     */
    private DomainSnapshot create(Domain d, String xml) {
        if (!claims(Feature.SNAPSHOTS)) {
            boolean active = d.isActive();
            assertFails(ErrorCode.NO_SUPPORT, () -> d.createSnapshot(xml));
            assertEquals(active, d.isActive(), "an unsupported call must leave the domain as it was");
            return null;
        }
        return d.createSnapshot(xml);
    }

    /** Waits for the lifecycle event {@code want} ("Kind Detail"), skipping others; fails naming what came. */
    private static void awaitLifecycle(EventRecorder rec, String want) {
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        while (true) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            DomainEvent.LifecycleEvent e;
            try {
                e = (DomainEvent.LifecycleEvent) rec.nextLifecycle(left).event();
            } catch (AssertionError timeout) {
                throw new AssertionError("no '" + want + "' event; lifecycle events seen: " + seen, timeout);
            }
            seen.add(e.kind().label() + " " + e.detail());
            if (seen.getLast().equals(want)) {
                return;
            }
        }
    }

    private static List<String> names(List<DomainSnapshot> snapshots) {
        return snapshots.stream().map(DomainSnapshot::name).sorted().toList();
    }

    private static void assertNames(Set<String> expected, List<DomainSnapshot> actual, String what) {
        assertEquals(expected.stream().sorted().toList(), names(actual), what);
    }

    private static String current(Domain d) {
        List<String> cur = d.listSnapshots().stream().filter(DomainSnapshot::isCurrent).map(DomainSnapshot::name).toList();
        assertTrue(cur.size() <= 1, "more than one current snapshot: " + cur);
        return cur.isEmpty() ? null : cur.getFirst();
    }

    // ---- the tests ----

    @Test
    public void snapshotOfInactiveDomain() {
        Domain d = inactiveOrAny("snap-off");
        DomainSnapshot s = create(d, snapshotXml("s1", "first snapshot"));
        if (s == null) {
            assertFails(ErrorCode.NO_SUPPORT, d::listSnapshots);
            assertFails(ErrorCode.NO_SUPPORT, () -> d.snapshot("s1"));
            return;
        }
        assertEquals("s1", s.name());
        assertEquals(d, s.domain());
        assertFalse(d.isActive(), "taking a snapshot must not start the domain");
        assertNames(Set.of("s1"), d.listSnapshots(), "listSnapshots");
        DomainSnapshot found = d.snapshot("s1");
        assertEquals("s1", found.name());
        assertEquals(s, found, "two handles on one snapshot are equal");

        SnapshotDoc doc = SnapshotDoc.parse(found.xml());
        assertEquals("s1", doc.name(), "the snapshot XML names it");
        assertEquals("first snapshot", doc.description());
        assertEquals("shutoff", doc.state(), "an inactive domain's snapshot is in state shutoff: " + doc.xml());
        assertEquals(null, doc.parent(), "a first snapshot has no parent: " + doc.xml());

        assertTrue(found.isCurrent(), "the newest snapshot is current");
        assertTrue(found.parent().isEmpty());
        assertTrue(found.children().isEmpty());
    }

    @Test
    public void snapshotOfRunningDomain() {
        Domain d = running("snap-on");
        DomainSnapshot s = create(d, snapshotXml("s1", "while running"));
        if (s == null) {
            return;
        }
        assertTrue(d.isActive(), "taking a snapshot must leave a running domain running");
        assertEquals(DomainState.RUNNING, d.state().state());
        assertNames(Set.of("s1"), d.listSnapshots(), "listSnapshots");
        SnapshotDoc doc = SnapshotDoc.parse(d.snapshot("s1").xml());
        assertEquals("s1", doc.name());
        assertEquals("while running", doc.description());
        assertEquals("running", doc.state(), "a running domain's snapshot is in state running: " + doc.xml());
        assertTrue(d.snapshot("s1").isCurrent());
    }

    @Test
    public void namesAreEscapedAndAMissingNameIsChosen() {
        Domain d = inactiveOrAny("snap-names");
        DomainSnapshot odd = create(d, snapshotXml("a &amp; &lt;b&gt; 'c'", "x &lt; y &amp;&amp; \"z\""));
        if (odd == null) {
            return;
        }
        assertEquals("a & <b> 'c'", odd.name());
        SnapshotDoc doc = SnapshotDoc.parse(d.snapshot("a & <b> 'c'").xml());
        assertEquals("a & <b> 'c'", doc.name(), "the name survives the XML: " + doc.xml());
        assertEquals("x < y && \"z\"", doc.description(), "the description survives the XML: " + doc.xml());

        // libvirt names a snapshot without <name> itself (by its creation time)
        DomainSnapshot chosen = d.createSnapshot("<domainsnapshot><description>no name</description></domainsnapshot>");
        assertFalse(chosen.name().isBlank(), "a snapshot without <name> gets one");
        assertEquals(chosen.name(), d.snapshot(chosen.name()).name());
        assertEquals("no name", SnapshotDoc.parse(chosen.xml()).description());
        assertNames(Set.of("a & <b> 'c'", chosen.name()), d.listSnapshots(), "listSnapshots");
    }

    @Test
    public void undefineKeepsSnapshotsUnlessAsked() {
        Domain d = defined("snap-undef");
        if (d == null) {
            return; // neither SNAPSHOTS nor PERSISTENT: nothing to undefine
        }
        DomainSnapshot s = create(d, snapshotXml("kept", "must survive a plain undefine"));
        if (s == null) {
            d.undefine();
            return;
        }
        String n = d.name();
        VirtException e = assertFails(ErrorCode.OPERATION_INVALID, d::undefine);
        assertTrue(e.getMessage().contains("snapshot"), e.getMessage());
        assertTrue(d.isPersistent(), "a refused undefine changes nothing");
        assertNames(Set.of("kept"), d.listSnapshots(), "snapshots after a refused undefine");
        d.undefine(UndefineOption.SNAPSHOTS_METADATA);
        assertFails(ErrorCode.NO_DOMAIN, () -> conn.lookupDomainByName(n));
    }

    @Test
    public void unknownSnapshotIsNoDomainSnapshot() {
        Domain d = inactiveOrAny("snap-unknown");
        if (!claims(Feature.SNAPSHOTS)) {
            assertFails(ErrorCode.NO_SUPPORT, () -> d.snapshot("nope"));
            return;
        }
        VirtException e = assertFails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> d.snapshot("nope"));
        assertTrue(e.getMessage().contains("nope"), "the error names the snapshot: " + e.getMessage());
        assertTrue(d.listSnapshots().isEmpty());
        d.createSnapshot(snapshotXml("s1", "one"));
        assertFails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> d.snapshot("nope"));
        assertFails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> d.snapshot("S1"));
    }

    @Test
    public void parentChildrenAndCurrent() {
        Domain d = inactiveOrAny("snap-tree");
        DomainSnapshot s1 = create(d, snapshotXml("s1", "one"));
        if (s1 == null) {
            return;
        }
        DomainSnapshot s2 = d.createSnapshot(snapshotXml("s2", "two"));
        assertNames(Set.of("s1", "s2"), d.listSnapshots(), "listSnapshots");
        assertEquals("s1", s2.parent().orElseThrow(() -> new AssertionError("s2 has no parent")).name());
        assertEquals("s1", SnapshotDoc.parse(s2.xml()).parent(), "s2's XML names its parent: " + s2.xml());
        assertNames(Set.of("s2"), s1.children(), "children of s1");
        assertTrue(s1.parent().isEmpty());
        assertTrue(s2.children().isEmpty());
        assertTrue(s2.isCurrent(), "the newest snapshot is current");
        assertFalse(s1.isCurrent(), "an older snapshot is no longer current");
        assertEquals("s2", current(d));

        // reverting makes s1 current; the next snapshot branches off it
        s1.revert();
        assertEquals("s1", current(d), "a reverted-to snapshot is current");
        DomainSnapshot s3 = d.createSnapshot(snapshotXml("s3", "three"));
        assertEquals("s1", s3.parent().orElseThrow(() -> new AssertionError("s3 has no parent")).name(),
                "a new snapshot's parent is the current snapshot");
        assertNames(Set.of("s2", "s3"), s1.children(), "children of s1");
        assertEquals("s3", current(d));
    }

    @Test
    public void revertToRunningSnapshotBringsTheDomainBackRunning() {
        Domain d = running("snap-revert-on");
        DomainSnapshot s1 = create(d, snapshotXml("s1", "running"));
        if (s1 == null) {
            return;
        }
        d.destroy();
        assertFalse(d.isActive());
        EventRecorder rec = new EventRecorder(d.uuid());
        try (Events.Subscription sub = conn.events().subscribe(rec)) {
            s1.revert();
            assertTrue(d.isActive(), "reverting to a snapshot taken while running leaves the domain running");
            assertEquals(new DomainStatus(DomainState.RUNNING, StateReason.FROM_SNAPSHOT), d.state());
            awaitLifecycle(rec, "Started FromSnapshot");
        }
        assertTrue(d.isPersistent(), "revert keeps the domain defined");
        // reverting again while it runs keeps it running
        s1.revert();
        assertEquals(DomainState.RUNNING, d.state().state());
    }

    @Test
    public void revertToPausedSnapshotLeavesTheDomainPaused() {
        Domain d = running("snap-revert-paused");
        if (!claims(Feature.SUSPEND)) {
            create(d, snapshotXml("s1", "running"));   // asserts NO_SUPPORT when SNAPSHOTS is not claimed either
            assertFails(ErrorCode.NO_SUPPORT, d::suspend);
            return;
        }
        d.suspend();
        DomainSnapshot sp = create(d, snapshotXml("sp", "paused"));
        if (sp == null) {
            return;
        }
        assertEquals(DomainState.PAUSED, d.state().state(), "taking a snapshot leaves a paused domain paused");
        assertEquals("paused", SnapshotDoc.parse(sp.xml()).state(), sp.xml());
        d.resume();
        assertEquals(DomainState.RUNNING, d.state().state());
        sp.revert();
        assertEquals(DomainState.PAUSED, d.state().state(), "reverting to a snapshot of a paused domain leaves it paused");
        d.destroy();
        sp.revert();
        assertEquals(DomainState.PAUSED, d.state().state(), "reverting an inactive domain to a paused snapshot");
    }

    @Test
    public void revertToInactiveSnapshotStopsTheDomain() {
        Domain d = inactiveOrAny("snap-revert-off");
        DomainSnapshot s0 = create(d, snapshotXml("s0", "shut off"));
        if (s0 == null) {
            return;
        }
        d.start();
        assertTrue(d.isActive());
        EventRecorder rec = new EventRecorder(d.uuid());
        try (Events.Subscription sub = conn.events().subscribe(rec)) {
            s0.revert();
            assertFalse(d.isActive(), "reverting to a snapshot of an inactive domain leaves it inactive");
            assertEquals(new DomainStatus(DomainState.SHUTOFF, StateReason.FROM_SNAPSHOT), d.state());
            awaitLifecycle(rec, "Stopped FromSnapshot");
        }
        assertTrue(d.isPersistent());
    }

    @Test
    public void revertRestoresTheDefinition() {
        Domain d = inactiveOrAny("snap-revert-def");
        DomainDef before = DomainXml.parse(d.xml(true));
        DomainSnapshot s1 = create(d, snapshotXml("s1", "before the change"));
        if (s1 == null) {
            return;
        }
        DomainDef changed = withVcpus(before, before.vcpus() + 1);
        conn.defineDomain(DomainXml.format(changed));
        assertEquals(before.vcpus() + 1, DomainXml.parse(d.xml(true)).vcpus(), "the redefinition took effect");
        s1.revert();
        assertEquals(before.vcpus(), DomainXml.parse(d.xml(true)).vcpus(),
                "reverting restores the definition saved in the snapshot");
        assertEquals(before.vcpus(), d.info().vcpus());
    }

    private static DomainDef withVcpus(DomainDef d, int vcpus) {
        return new DomainDef(d.type(), d.name(), d.uuid(), d.title(), d.description(), d.memoryKiB(),
                d.currentMemoryKiB(), vcpus, d.os(), d.features(), d.cpu(), d.clock(), d.onPoweroff(), d.onReboot(),
                d.onCrash(), d.emulator(), d.devices());
    }

    @Test
    public void deleteReparentsChildren() {
        Domain d = inactiveOrAny("snap-delete");
        DomainSnapshot s0 = create(d, snapshotXml("s0", "root"));
        if (s0 == null) {
            return;
        }
        DomainSnapshot s1 = d.createSnapshot(snapshotXml("s1", "middle"));
        DomainSnapshot s2 = d.createSnapshot(snapshotXml("s2", "leaf"));
        assertEquals("s1", s2.parent().orElseThrow().name());

        s1.delete();
        assertNames(Set.of("s0", "s2"), d.listSnapshots(), "listSnapshots after deleting s1");
        VirtException e = assertFails(ErrorCode.NO_DOMAIN_SNAPSHOT, () -> d.snapshot("s1"));
        assertTrue(e.getMessage().contains("s1"), e.getMessage());
        assertFails(ErrorCode.NO_DOMAIN_SNAPSHOT, s1::delete);
        assertEquals("s0", s2.parent().orElseThrow(() -> new AssertionError("s2 lost its parent")).name(),
                "the deleted snapshot's children move to its parent");
        assertNames(Set.of("s2"), s0.children(), "children of s0");
        assertTrue(s2.isCurrent(), "deleting another snapshot leaves the current one current");

        s0.delete();
        assertNames(Set.of("s2"), d.listSnapshots(), "listSnapshots after deleting s0");
        assertTrue(s2.parent().isEmpty(), "the root's children become roots");
        assertFalse(d.isActive(), "deleting snapshots does not start the domain");
    }

    @Test
    public void deletingTheCurrentSnapshotMakesItsParentCurrent() {
        Domain d = inactiveOrAny("snap-delete-current");
        DomainSnapshot s1 = create(d, snapshotXml("s1", "one"));
        if (s1 == null) {
            return;
        }
        DomainSnapshot s2 = d.createSnapshot(snapshotXml("s2", "two"));
        assertEquals("s2", current(d));
        s2.delete();
        assertEquals("s1", current(d), "the deleted current snapshot's parent becomes current");
        assertNames(Set.of("s1"), d.listSnapshots(), "listSnapshots");
    }

    @Test
    public void duplicateNameIsRefusedAndNothingIsLost() {
        Domain d = inactiveOrAny("snap-dup");
        DomainSnapshot s1 = create(d, snapshotXml("s1", "original"));
        if (s1 == null) {
            return;
        }
        VirtException e = assertThrows(VirtException.class, () -> d.createSnapshot(snapshotXml("s1", "impostor")));
        assertTrue(Set.of(ErrorCode.DOMAIN_EXISTS, ErrorCode.OPERATION_INVALID, ErrorCode.OPERATION_FAILED)
                .contains(e.code()), "a duplicate name is a clear error, not " + e.code() + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("s1"), "the error names the snapshot: " + e.getMessage());
        assertNames(Set.of("s1"), d.listSnapshots(), "still one s1");
        assertEquals("original", SnapshotDoc.parse(d.snapshot("s1").xml()).description(), "the first s1 is kept");
        assertTrue(d.snapshot("s1").isCurrent());
    }

    @Test
    public void malformedSnapshotXmlIsXmlError() {
        Domain d = inactiveOrAny("snap-bad-xml");
        if (!claims(Feature.SNAPSHOTS)) {
            assertFails(ErrorCode.NO_SUPPORT, () -> d.createSnapshot("<domainsnapshot><name>x</name>"));
            return;
        }
        for (String bad : List.of("<domainsnapshot><name>x</name>", "not xml at all", "<domainsnapshot><name>x</nam></domainsnapshot>",
                "<domain><name>x</name></domain>")) {
            VirtException e = assertFails(ErrorCode.XML_ERROR, () -> d.createSnapshot(bad));
            assertFalse(e.getMessage().isBlank());
        }
        assertTrue(d.listSnapshots().isEmpty(), "a refused snapshot leaves nothing behind");
        assertFalse(d.isActive());
    }

    @Test
    public void queriesAndJobInfoAnswerWhileASnapshotIsTaken() throws Exception {
        Connection slow = openConnectionWithSlowSnapshots(SLOW_SNAPSHOT);
        try {
            if (!claims(Feature.SNAPSHOTS)) {
                Domain d = slow.createDomain(domainXml(name("snap-slow")));
                assertFails(ErrorCode.NO_SUPPORT, () -> d.createSnapshot(snapshotXml("s1", "slow")));
                assertTrue(d.isActive());
                return;
            }
            if (!claims(Feature.PERSISTENT)) {
                fail("the driver claims SNAPSHOTS but not PERSISTENT: the snapshot suite needs defined domains");
            }
            Domain d = slow.defineDomain(domainXml(name("snap-slow")));
            d.start();
            long t0 = System.nanoTime();
            CompletableFuture<DomainSnapshot> taking = new CompletableFuture<>();
            Thread.ofVirtual().name("tck-snapshot-create").start(() -> {
                try {
                    taking.complete(d.createSnapshot(snapshotXml("s1", "slow")));
                } catch (Throwable t) {
                    taking.completeExceptionally(t);
                }
            });
            if (claims(Feature.JOBS)) {
                await("jobInfo() to show the snapshot job", Duration.ofSeconds(10), () -> {
                    JobInfo.Type t = d.jobInfo().type();
                    return t == JobInfo.Type.BOUNDED || t == JobInfo.Type.UNBOUNDED || taking.isDone();
                });
                assertFalse(taking.isDone(), "the snapshot finished before jobInfo() showed it; it must take "
                        + SLOW_SNAPSHOT.toMillis() + " ms on this connection");
                JobInfo info = d.jobInfo();
                assertFalse(info.operation().isEmpty(), "jobInfo names the operation: " + info);
            } else {
                Thread.sleep(200);   // jobInfo() is NO_SUPPORT without JOBS (FeatureSuite checks that)
            }
            for (int i = 0; i < 10 && !taking.isDone(); i++) {
                long q = System.nanoTime();
                assertEquals(DomainState.RUNNING, d.state().state());
                d.info();
                d.xml();
                d.listSnapshots();
                if (claims(Feature.JOBS)) {
                    d.jobInfo();
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - q);
                assertTrue(ms < 1000, "queries (state, info, xml, listSnapshots) took " + ms
                        + " ms while the snapshot was taken");
                Thread.sleep(50);
            }
            DomainSnapshot s;
            try {
                s = taking.get(SLOW_SNAPSHOT.toSeconds() + 30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("the slow snapshot failed", e.getCause());
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(took >= SLOW_SNAPSHOT.toMillis() - 100, "the 'slow' snapshot took only " + took + " ms");
            assertEquals("s1", s.name());
            assertTrue(d.isActive());
            assertNames(Set.of("s1"), d.listSnapshots(), "listSnapshots");
            if (claims(Feature.JOBS)) {
                JobInfo.Type t = d.jobInfo().type();
                assertTrue(t != JobInfo.Type.BOUNDED && t != JobInfo.Type.UNBOUNDED, "no job runs after it: " + t);
            }
        } finally {
            if (slow.isAlive()) {
                for (Domain d : slow.listDomains()) {
                    if (d.name().startsWith("tck-")) {
                        if (claims(Feature.SNAPSHOTS)) {
                            deleteAll(d);
                        }
                        try {
                            if (d.isActive()) {
                                d.destroy();
                            }
                            if (d.isPersistent()) {
                                d.undefine();
                            }
                        } catch (VirtException e) {
                            LOG.log(Level.DEBUG, "clean-up of " + d.name() + ": " + e.getMessage());
                        }
                    }
                }
            }
            slow.close();
        }
    }
}
