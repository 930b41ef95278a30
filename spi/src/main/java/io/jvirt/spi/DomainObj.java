package io.jvirt.spi;

import io.jvirt.api.DomainState;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.job.DomainJobs;
import io.jvirt.spi.job.JobConfig;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A driver's record of one domain: its definitions, state and job state, guarded by one short
 * lock. The lock guards reads and writes of these fields only and is never held across anything
 * that waits (a monitor or agent command, a remote call, an SDK wait, a sleep): see
 * {@code docs/job-model.md}. Mutators check that the caller holds the lock.

 */
public final class DomainObj {
    private final ReentrantLock lock = new ReentrantLock();
    private final UUID uuid;
    private final DomainJobs jobs;
    private final String name;
    private DomainDef def;            // live definition while active, else the persistent one
    private DomainDef persistentDef;  // the next-start definition while active and persistent, else null
    private boolean persistent;
    private boolean autostart;
    private int id = -1;
    private DomainStatus status = DomainStatus.of(DomainState.SHUTOFF, StateReason.UNKNOWN);
    private boolean removed;
    private Object privateData;

    public DomainObj(DomainDef def, boolean persistent) {
        this(def, persistent, JobConfig.DEFAULTS);
    }

    /**
     * A domain object whose jobs use the driver's settings.
     *
     * @param def        the definition
     * @param persistent whether it is persistent
     * @param jobConfig  the driver's job settings (wait timeout, waiter limit, monitor timeout)
     */
    public DomainObj(DomainDef def, boolean persistent, JobConfig jobConfig) {
        this.def = Objects.requireNonNull(def, "def");
        this.uuid = def.uuid();
        this.name = def.name();
        this.persistent = persistent;
        this.jobs = new DomainJobs(this);
        this.jobs.setConfig(jobConfig);
    }

    // ---- the lock ----

    /** Takes the domain lock. Pair with {@link #unlock()} in a finally block, or use {@link #locked()}. */
    public void lock() {
        lock.lock();
    }

    public void unlock() {
        lock.unlock();
    }

    /** Takes the lock for a try-with-resources block. */
    public Locked locked() {
        lock.lock();
        return lock::unlock;
    }

    /** Whether the current thread holds the lock. */
    public boolean isLockedByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** The lock itself, for the job machinery's conditions. */
    public ReentrantLock lockObject() {
        return lock;
    }

    /** A held domain lock. */
    @FunctionalInterface
    public interface Locked extends AutoCloseable {
        @Override
        void close();
    }

    private void requireLock() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("domain '" + name + "' modified without its lock held");
        }
    }

    // ---- identity (immutable or lock-free reads) ----

    public UUID uuid() {
        return uuid;
    }

    /** The domain's name (immutable: a rename is not supported). */
    public String name() {
        return name;
    }

    /** The job state: begin jobs here ({@code jobs().begin(JobKind.MODIFY, "suspend")}); see {@code docs/job-model.md}. */
    public DomainJobs jobs() {
        return jobs;
    }

    // ---- fields guarded by the lock ----

    public DomainDef def() {
        return def;
    }

    public void setDef(DomainDef def) {
        requireLock();
        this.def = Objects.requireNonNull(def);
    }

    /** The definition for the next start while active and persistent; null otherwise. */
    public DomainDef persistentDef() {
        return persistentDef;
    }

    public void setPersistentDef(DomainDef def) {
        requireLock();
        this.persistentDef = def;
    }

    /** The definition a fresh start would use. */
    public DomainDef inactiveDef() {
        return persistentDef != null ? persistentDef : def;
    }

    public boolean isPersistent() {
        return persistent;
    }

    public void setPersistent(boolean persistent) {
        requireLock();
        this.persistent = persistent;
    }

    public boolean isAutostart() {
        return autostart;
    }

    public void setAutostart(boolean autostart) {
        requireLock();
        this.autostart = autostart;
    }

    /** The running id, or -1. */
    public int id() {
        return id;
    }

    public void setId(int id) {
        requireLock();
        this.id = id;
    }

    public DomainStatus status() {
        return status;
    }

    public DomainState state() {
        return status.state();
    }

    public void setStatus(DomainState state, StateReason reason) {
        requireLock();
        this.status = DomainStatus.of(state, reason);
    }

    /** Whether the domain has a running hypervisor process. */
    public boolean isActive() {
        return status.state().isActive();
    }

    /** Whether the domain was removed from its list (waiters must give up). */
    public boolean isRemoved() {
        return removed;
    }

    /** Marks the domain removed; called by {@link DomainObjList#remove}. */
    void markRemoved() {
        requireLock();
        removed = true;
        jobs.domainRemoved();
    }

    /** Fails with {@code OPERATION_INVALID} unless the domain is active. */
    public void requireActive() {
        if (removed || !isActive()) {
            throw VirtException.invalid("domain is not running");
        }
    }

    /** Fails with {@code OPERATION_INVALID} if the domain is active. */
    public void requireInactive() {
        if (isActive()) {
            throw new VirtException(ErrorCode.OPERATION_INVALID, "Requested operation is not valid: domain '" + name
                    + "' is already active");
        }
    }

    /** The driver's private data. */
    @SuppressWarnings("unchecked")
    public <T> T privateData() {
        return (T) privateData;
    }

    public void setPrivateData(Object data) {
        this.privateData = data;
    }

    @Override
    public String toString() {
        return "DomainObj[" + name + " " + uuid + " " + status + "]";
    }
}
