package io.jvirt.driver.vz.snapshot;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.SnapshotData;
import io.jvirt.spi.job.AsyncJobKind;

import java.time.Instant;
import java.util.List;

/**
 * Snapshots of vz domains. Create and revert are group-2 async jobs (queryable, abortable); list,
 * lookup, XML, parent, children and delete are group 3: no job, no shared handle.
 */
public final class VzSnapshots {
    private final SdkCalls calls;

    public VzSnapshots(SdkCalls calls) {
        this.calls = calls;
    }

    /** Takes a snapshot (group 2, async job {@code snapshot}). */
    public SnapshotData create(DomainObj dom, String xml) {
        SnapshotXml.Request req = SnapshotXml.parse(xml);
        String name = req.name() != null ? req.name() : Long.toString(Instant.now().getEpochSecond());
        SnapshotInfo s = calls.async(dom, AsyncJobKind.SNAPSHOT, "createSnapshot", d -> { },
                h -> h.createSnapshot(name, req.description()), false, x -> { });
        return data(s);
    }

    /** Reverts to a snapshot (group 2, async job {@code snapshot}). */
    public void revert(DomainObj dom, String name) {
        calls.async(dom, AsyncJobKind.SNAPSHOT, "revertSnapshot", d -> { }, h -> h.revertSnapshot(name), false, x -> { });
    }

    /** Lists snapshots (group 3). */
    public List<SnapshotData> list(DomainObj dom) {
        return calls.group3(dom, "listSnapshots", s -> s.listSnapshots(dom.uuid())).stream().map(VzSnapshots::data).toList();
    }

    /** One snapshot (group 3). */
    public SnapshotData get(DomainObj dom, String name) {
        for (SnapshotData s : list(dom)) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new VirtException(ErrorCode.NO_DOMAIN_SNAPSHOT, "Domain snapshot not found: no snapshot named '"
                + name + "' of domain '" + dom.name() + "'");
    }

    /** Deletes a snapshot; children move to its parent (group 3). */
    public void delete(DomainObj dom, String name) {
        calls.group3(dom, "deleteSnapshot", s -> s.deleteSnapshot(dom.uuid(), name));
    }

    private static SnapshotData data(SnapshotInfo s) {
        return new SnapshotData(s.name(), s.parent(), s.current(), SnapshotXml.format(s));
    }
}
