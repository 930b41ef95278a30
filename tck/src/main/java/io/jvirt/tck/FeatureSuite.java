package io.jvirt.tck;

import io.jvirt.api.BlockCopyOptions;
import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * For every {@link Feature} the driver does not claim, each of its calls fails with
 * {@code NO_SUPPORT} — on a running domain, where the call would otherwise make sense. For a
 * claimed feature, its read-only calls must not answer {@code NO_SUPPORT}.
 */
public abstract class FeatureSuite extends TckBase {
    @TempDir
    Path tmp;

    /** A call of a feature, made on a running domain. */
    private record Call(String name, boolean readOnly, Function<Ctx, Executable> make) {
    }

    /** What the calls act on. */
    private record Ctx(Connection conn, Domain dom, Path tmp, Connection dest) {
    }

    private static final String DISK_XML = "<disk type='file' device='disk'><source file='/tmp/tck-copy.img'/>"
            + "<target dev='vdz' bus='virtio'/></disk>";
    private static final String SNAPSHOT_XML = "<domainsnapshot><name>tck-snap</name></domainsnapshot>";

    private static Map<Feature, List<Call>> calls() {
        Map<Feature, List<Call>> m = new LinkedHashMap<>();
        m.put(Feature.PERSISTENT, List.of(
                new Call("defineDomain", false, c -> () -> c.conn().defineDomain(c.dom().xml(true))),
                new Call("undefine", false, c -> () -> c.dom().undefine())));
        m.put(Feature.SUSPEND, List.of(
                new Call("suspend", false, c -> () -> c.dom().suspend()),
                new Call("resume", false, c -> () -> c.dom().resume())));
        m.put(Feature.SHUTDOWN, List.of(
                new Call("shutdown", false, c -> () -> c.dom().shutdown()),
                new Call("reboot", false, c -> () -> c.dom().reboot())));
        m.put(Feature.AUTOSTART, List.of(
                new Call("setAutostart", false, c -> () -> c.dom().setAutostart(true))));
        m.put(Feature.JOBS, List.of(
                new Call("jobInfo", true, c -> () -> c.dom().jobInfo()),
                new Call("abortJob", false, c -> () -> c.dom().abortJob())));
        m.put(Feature.SAVE, List.of(
                new Call("save", false, c -> () -> c.dom().save(c.tmp().resolve("tck.save"))),
                new Call("restoreDomain", false, c -> () -> c.conn().restoreDomain(c.tmp().resolve("none.save")))));
        m.put(Feature.MANAGED_SAVE, List.of(
                new Call("hasManagedSave", true, c -> () -> c.dom().hasManagedSave()),
                new Call("managedSave", false, c -> () -> c.dom().managedSave()),
                new Call("managedSaveRemove", false, c -> () -> c.dom().managedSaveRemove())));
        m.put(Feature.SNAPSHOTS, List.of(
                new Call("listSnapshots", true, c -> () -> c.dom().listSnapshots()),
                new Call("createSnapshot", false, c -> () -> c.dom().createSnapshot(SNAPSHOT_XML)),
                new Call("snapshot", false, c -> () -> c.dom().snapshot("tck-snap"))));
        m.put(Feature.MIGRATION, List.of(
                new Call("migrate", false, c -> () -> c.dom().migrate(c.dest(), MigrateOptions.live()))));
        m.put(Feature.BLOCK_JOBS, List.of(
                new Call("blockCopy", false, c -> () -> c.dom().blockCopy("vda", DISK_XML, BlockCopyOptions.defaults())),
                new Call("blockJobInfo", false, c -> () -> c.dom().blockJobInfo("vda")),
                new Call("blockJobAbort", false, c -> () -> c.dom().blockJobAbort("vda", false))));
        m.put(Feature.HOTPLUG, List.of(
                new Call("attachDevice", false, c -> () -> c.dom().attachDevice(DISK_XML)),
                new Call("detachDevice", false, c -> () -> c.dom().detachDevice(DISK_XML)),
                new Call("updateDevice", false, c -> () -> c.dom().updateDevice(DISK_XML))));
        m.put(Feature.SET_MEMORY, List.of(
                new Call("setMemory", false, c -> () -> c.dom().setMemory(c.dom().info().memoryKiB()))));
        m.put(Feature.AGENT, List.of(
                new Call("agentCommand", false, c -> () -> c.dom().agentCommand("{\"execute\":\"guest-ping\"}",
                        Duration.ofSeconds(5))),
                new Call("time", false, c -> () -> c.dom().time()),
                new Call("setTime", false, c -> () -> c.dom().setTime(Instant.now())),
                new Call("fsFreeze", false, c -> () -> c.dom().fsFreeze(List.of())),
                new Call("fsThaw", false, c -> () -> c.dom().fsThaw(List.of())),
                new Call("interfaceAddresses", false, c -> () -> c.dom().interfaceAddresses(
                        InterfaceAddresses.Source.AGENT)),
                new Call("guestInfo", false, c -> () -> c.dom().guestInfo())));
        m.put(Feature.SET_USER_PASSWORD, List.of(
                new Call("setUserPassword", false, c -> () -> c.dom().setUserPassword("root", "x", false))));
        m.put(Feature.STATS, List.of(
                new Call("memoryStats", true, c -> () -> c.dom().memoryStats()),
                new Call("blockStats", false, c -> () -> c.dom().blockStats("vda")),
                new Call("interfaceStats", false, c -> () -> c.dom().interfaceStats("vnet0"))));
        return m;
    }

    @TestFactory
    public List<DynamicTest> unclaimedFeaturesAnswerNoSupport() {
        Map<Feature, List<Call>> all = calls();
        if (all.size() != Feature.values().length) {
            fail("the TCK has no calls for some features: " + all.keySet());
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Feature f : Feature.values()) {
            for (Call call : all.get(f)) {
                if (!claims(f)) {
                    tests.add(DynamicTest.dynamicTest(f + " not claimed: " + call.name() + " -> NO_SUPPORT", () -> {
                        Ctx ctx = context();
                        VirtException e = assertThrows(VirtException.class, call.make().apply(ctx),
                                call.name() + " must fail with NO_SUPPORT when " + f + " is not claimed");
                        assertEquals(ErrorCode.NO_SUPPORT, e.code(), call.name() + ": " + e.getMessage());
                        assertEquals(true, ctx.dom().isActive(), "an unsupported call must leave the domain as it was");
                    }));
                } else if (call.readOnly()) {
                    tests.add(DynamicTest.dynamicTest(f + " claimed: " + call.name() + " is supported", () -> {
                        Ctx ctx = context();
                        try {
                            call.make().apply(ctx).execute();
                        } catch (VirtException e) {
                            if (e.code() == ErrorCode.NO_SUPPORT) {
                                fail(f + " is claimed but " + call.name() + " answers NO_SUPPORT: " + e.getMessage());
                            }
                        }
                    }));
                }
            }
        }
        return tests;
    }

    private Ctx context() {
        Domain d = conn.createDomain(domainXml(name("feature")));
        Connection dest = claims(Feature.MIGRATION) ? openExtraConnection() : conn;
        return new Ctx(conn, d, tmp, dest);
    }
}
