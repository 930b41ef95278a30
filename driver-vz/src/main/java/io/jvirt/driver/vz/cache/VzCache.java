package io.jvirt.driver.vz.cache;

import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.sdk.VmState;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.JobConfig;

import java.time.Instant;
import java.util.Locale;

/**
 * The domain cache: turns what the SDK reports ({@link VmInfo}) into domain objects. Every write
 * happens under the domain lock, and only a copy newer than the one cached is applied, so a late
 * event never overwrites what a finished operation already recorded. Lifecycle events are emitted
 * here, once per transition, whoever (an operation or an SDK event) notices it first.
 */
public final class VzCache {
    private final SdkSession session;
    private final DomainObjList list;
    private final EventSink events;
    private final JobConfig jobConfig;

    public VzCache(SdkSession session, DomainObjList list, EventSink events, JobConfig jobConfig) {
        this.session = session;
        this.list = list;
        this.events = events;
        this.jobConfig = jobConfig;
    }

    /** The domains. */
    public DomainObjList list() {
        return list;
    }

    /** The driver's private data of {@code dom}. */
    public static VmPrivate priv(DomainObj dom) {
        VmPrivate p = dom.privateData();
        if (p == null) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "domain '" + dom.name() + "' has no vz private data");
        }
        return p;
    }

    /**
     * Adds the VM to the cache, or refreshes the domain that has it. A new domain is complete
     * (handle, state, id, job settings) before any other thread can find it: a define and the
     * SDK's VM-added event racing for the same VM make one whole domain. Takes no lock on entry.
     *
     * @return the domain and whether it is new
     */
    public DomainObjList.AddResult adopt(VmInfo info) {
        DomainDef def = asVz(info.config());
        DomainObjList.AddResult r = list.addOrGet(def, !info.transientVm(), obj -> {
            VmPrivate p = new VmPrivate(session.handle(info.uuid()));
            obj.setPrivateData(p);
            obj.jobs().setConfig(jobConfig);
            try (var l = obj.locked()) {
                write(obj, p, info);
                list.setId(obj, info.state().isActive() ? info.runId() : -1);
            }
        });
        DomainObj dom = r.domain();
        try (var l = dom.locked()) {
            if (r.added()) {
                if (!info.transientVm()) {
                    emit(dom, Lifecycle.DEFINED, "Added");
                }
                if (info.state().isActive()) {
                    emit(dom, Lifecycle.STARTED, startDetail(info.lastReason()));
                }
            } else if (!dom.isRemoved()) {
                apply(dom, info);
            }
        }
        return r;
    }

    /**
     * Writes {@code info} into {@code dom} if it is newer than what is cached, emitting the
     * lifecycle event of a state transition. Lock held.
     *
     * @return whether it was applied
     */
    public boolean apply(DomainObj dom, VmInfo info) {
        requireLock(dom);
        VmPrivate p = priv(dom);
        if (dom.isRemoved() || info.version() <= p.version) {
            return false;
        }
        VmState before = p.vmState;
        write(dom, p, info);
        list.setId(dom, info.state().isActive() ? info.runId() : -1);
        transition(dom, before, info.state(), info.lastReason());
        return true;
    }

    private static void write(DomainObj dom, VmPrivate p, VmInfo info) {
        DomainDef stored = asVz(info.config());
        if (info.state().isActive() && info.liveConfig() != null) {
            DomainDef live = asVz(info.liveConfig());
            dom.setDef(live);
            dom.setPersistentDef(live.equals(stored) ? null : stored);
        } else {
            dom.setDef(stored);
            dom.setPersistentDef(null);
        }
        dom.setPersistent(!info.transientVm());
        dom.setAutostart(info.autostart());
        dom.setStatus(state(info.state()), reason(info.state(), info.lastReason()));
        p.netIndex = info.netIndex();
        p.managedSave = info.managedSave();
        p.vmState = info.state();
        p.version = info.version();
    }

    /**
     * Removes {@code dom} from the cache because its VM left the host, emitting what an observer
     * expects (stopped, then undefined for a persistent domain). Lock held.
     */
    public void forget(DomainObj dom, String stopDetail) {
        requireLock(dom);
        if (dom.isRemoved()) {
            return;
        }
        VmPrivate p = priv(dom);
        if (dom.isActive()) {
            String detail = stopDetail != null ? stopDetail
                    : dom.jobs().asyncKind() == AsyncJobKind.MIGRATION_OUT ? "Migrated" : "Destroyed";
            dom.setStatus(DomainState.SHUTOFF, detail.equals("Migrated") ? StateReason.MIGRATED : StateReason.DESTROYED);
            p.vmState = VmState.STOPPED;
            emit(dom, Lifecycle.STOPPED, detail);
        }
        list.remove(dom);
        if (dom.isPersistent()) {
            emit(dom, Lifecycle.UNDEFINED, "Removed");
        }
    }

    /**
     * Records that the VM stopped and left the host before a copy of it could be read (a transient
     * VM): the last state event's reason is all there is. Lock held.
     */
    public void stoppedAndGone(DomainObj dom, VmState state, String reason) {
        requireLock(dom);
        if (dom.isRemoved() || !dom.isActive() || state.isActive()) {
            return;
        }
        VmPrivate p = priv(dom);
        dom.setStatus(state(state), reason(state, reason));
        list.setId(dom, -1);
        p.vmState = state;
        emit(dom, Lifecycle.STOPPED, stopDetail(state, reason));
    }

    private void transition(DomainObj dom, VmState before, VmState after, String reason) {
        boolean wasActive = before != null && before.isActive();
        if (!wasActive && after.isActive()) {
            emit(dom, Lifecycle.STARTED, startDetail(reason));
            if (after == VmState.PAUSED) {
                emit(dom, Lifecycle.SUSPENDED, "Paused");
            }
        } else if (wasActive && !after.isActive()) {
            emit(dom, Lifecycle.STOPPED, stopDetail(after, reason));
        } else if (before == VmState.RUNNING && after == VmState.PAUSED) {
            emit(dom, Lifecycle.SUSPENDED, "Paused");
        } else if (before == VmState.PAUSED && after == VmState.RUNNING) {
            emit(dom, Lifecycle.RESUMED, reason.equals("from snapshot") ? "FromSnapshot" : "Unpaused");
        }
    }

    /** Emits a lifecycle event for {@code dom} (queued; never blocks). */
    public void emit(DomainObj dom, Lifecycle kind, String detail) {
        events.emit(new DomainEvent.LifecycleEvent(dom.name(), dom.uuid(), Instant.now(), kind, detail));
    }

    /** Emits any event. */
    public void emit(DomainEvent event) {
        events.emit(event);
    }

    private static String startDetail(String reason) {
        return switch (reason) {
            case "restored" -> "Restored";
            case "migrated" -> "Migrated";
            case "from snapshot" -> "FromSnapshot";
            default -> "Booted";
        };
    }

    private static String stopDetail(VmState after, String reason) {
        if (after == VmState.SUSPENDED) {
            return "Saved";
        }
        return switch (reason) {
            case "shutdown" -> "Shutdown";
            case "crashed" -> "Crashed";
            case "migrated" -> "Migrated";
            case "from snapshot" -> "FromSnapshot";
            case "failed" -> "Failed";
            default -> "Destroyed";
        };
    }

    /** The domain state of an SDK state. */
    public static DomainState state(VmState s) {
        return switch (s) {
            case RUNNING -> DomainState.RUNNING;
            case PAUSED -> DomainState.PAUSED;
            case STOPPED, SUSPENDED -> DomainState.SHUTOFF;
        };
    }

    /** The state reason of an SDK state and reason word. */
    public static StateReason reason(VmState s, String why) {
        String w = why == null ? "" : why.toLowerCase(Locale.ROOT);
        return switch (s) {
            case RUNNING -> switch (w) {
                case "booted" -> StateReason.BOOTED;
                case "restored" -> StateReason.RESTORED;
                case "migrated" -> StateReason.MIGRATED;
                case "from snapshot" -> StateReason.FROM_SNAPSHOT;
                case "unpaused" -> StateReason.UNPAUSED;
                default -> StateReason.UNKNOWN;
            };
            case PAUSED -> switch (w) {
                case "user" -> StateReason.USER;
                case "from snapshot" -> StateReason.FROM_SNAPSHOT;
                default -> StateReason.UNKNOWN;
            };
            case SUSPENDED -> StateReason.SAVED;
            case STOPPED -> switch (w) {
                case "destroyed" -> StateReason.DESTROYED;
                case "shutdown" -> StateReason.SHUTDOWN;
                case "crashed" -> StateReason.CRASHED;
                case "migrated" -> StateReason.MIGRATED;
                case "from snapshot" -> StateReason.FROM_SNAPSHOT;
                case "failed" -> StateReason.FAILED;
                default -> StateReason.UNKNOWN;
            };
        };
    }

    /** The definition with domain type {@code vz}, as the cache keeps it. */
    public static DomainDef asVz(DomainDef def) {
        if (def.type().equals("vz")) {
            return def;
        }
        return new DomainDef("vz", def.name(), def.uuid(), def.title(), def.description(), def.memoryKiB(),
                def.currentMemoryKiB(), def.vcpus(), def.os(), def.features(), def.cpu(), def.clock(), def.onPoweroff(),
                def.onReboot(), def.onCrash(), def.emulator(), def.devices());
    }

    private static void requireLock(DomainObj dom) {
        if (!dom.isLockedByCurrentThread()) {
            throw new IllegalStateException("vz cache: domain '" + dom.name() + "' written without its lock");
        }
    }
}
