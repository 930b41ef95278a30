package io.jvirt.spi.job;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The job state of one domain: at most one normal job, at most one async job, at most one agent
 * job. All state is guarded by the domain lock ({@link DomainObj#lockObject()}); waiting for a job
 * uses conditions of that lock and so drops it while waiting.
 *
 * <p>Every {@code begin...} method must be called with the domain lock held; it returns with the
 * lock held and the job taken, or throws with the lock held and no job taken. The handles are
 * {@link AutoCloseable}; close them (lock held or not) in the same try block:
 * <pre>{@code
 * try (var locked = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "suspend")) {
 *     dom.requireActive();
 *     job.monitorVoid(() -> mon.stop());
 *     dom.setStatus(DomainState.PAUSED, StateReason.USER);
 * }
 * }</pre>
 * See {@code docs/job-model.md} for the rules and the other patterns.
 */
public final class DomainJobs {
    private static final System.Logger LOG = System.getLogger(DomainJobs.class.getName());

    final DomainObj dom;
    final ReentrantLock lock;
    /** Signalled when the normal job ends, or when an async job is cancelled (nested waiters fail fast). */
    final Condition jobCond;
    /** Signalled when the async job ends, changes its mask or is cancelled. */
    final Condition asyncCond;
    /** Signalled when the agent job ends. */
    final Condition agentCond;
    private volatile JobConfig config = JobConfig.DEFAULTS;

    // ---- guarded by lock ----
    Job active;
    AsyncJob async;
    AgentJob agent;
    private int waiters;
    private JobInfo lastCompleted;

    /**
     * Creates the job state of {@code dom}; {@link DomainObj} does this itself.
     *
     * @param dom the domain
     */
    public DomainJobs(DomainObj dom) {
        this.dom = Objects.requireNonNull(dom, "dom");
        this.lock = dom.lockObject();
        this.jobCond = lock.newCondition();
        this.asyncCond = lock.newCondition();
        this.agentCond = lock.newCondition();
    }

    /** The settings in force. */
    public JobConfig config() {
        return config;
    }

    /** Sets the driver's settings; drivers call this right after creating the domain object. */
    public void setConfig(JobConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The domain these jobs belong to. */
    public DomainObj domain() {
        return dom;
    }

    // ==== normal jobs ====

    /**
     * Begins a normal job, waiting (lock dropped) for the running normal job to end and, while an
     * async job runs, until {@code kind} is in its allowed mask. A {@link JobKind#DESTROY} is always
     * admitted past the mask and makes the running async job fail: its cancel hook runs at once.
     *
     * @param kind what the job will do (not {@link JobKind#NESTED}: use {@link AsyncJob#beginNested()})
     * @param api  the API name, shown to anyone who has to wait ({@code "suspend"})
     * @throws VirtException {@code OPERATION_TIMEOUT} naming the holder after the wait timeout,
     *                       {@code OPERATION_FAILED} when too many callers wait already,
     *                       {@code NO_DOMAIN} when the domain was removed meanwhile
     * @throws IllegalStateException when the lock is not held, or this thread already holds a
     *                       normal or agent job on this domain, or holds the async job whose mask
     *                       excludes {@code kind}
     */
    public Job begin(JobKind kind, String api) {
        Objects.requireNonNull(api, "api");
        if (kind == JobKind.NESTED) {
            throw new IllegalArgumentException("a nested job is begun from its async job: asyncJob.beginNested()");
        }
        requireLocked("begin a " + kind + " job");
        Thread me = Thread.currentThread();
        if (active != null && active.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " already holds " + active.describe()
                    + " on domain '" + dom.name() + "' and asked for a " + kind + " job (" + api + ")");
        }
        if (agent != null && agent.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " holds " + agent.describe()
                    + " on domain '" + dom.name() + "' and asked for a normal " + kind + " job (" + api
                    + "): agent and normal jobs are never held together");
        }
        if (async != null && async.owner == me && (async.mask & kind.bit) == 0) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " holds " + async.describe()
                    + " whose mask excludes " + kind + "; an async job calls asyncJob.beginNested() instead");
        }
        if (dom.isRemoved()) {
            throw removed();
        }
        if (kind == JobKind.DESTROY && async != null && async.cancelCode == null) {
            cancelAsync(async, ErrorCode.OPERATION_INVALID, "domain is not running: it was destroyed during the "
                    + async.kind.operation() + " job");
        }
        long deadline = 0;
        boolean queued = false;
        try {
            while (true) {
                if (dom.isRemoved()) {
                    throw removed();
                }
                AsyncJob a = async;
                JobRules.Block b = JobRules.normal(kind, a != null, a == null ? 0 : a.mask, active != null);
                if (b == JobRules.Block.NONE) {
                    break;
                }
                Condition c = b == JobRules.Block.ASYNC_MASK ? asyncCond : jobCond;
                if (!queued) {
                    enqueue(kind != JobKind.DESTROY, kind + " job (" + api + ")");
                    queued = true;
                    deadline = System.nanoTime() + config.waitTimeout().toNanos();
                }
                await(c, deadline, "", kind + " job (" + api + ")");
            }
        } finally {
            if (queued) {
                waiters--;
            }
        }
        Job job = new Job(this, kind, api, me, null);
        active = job;
        return job;
    }

    /** Called by {@link AsyncJob#beginNested()}. */
    Job beginNested(AsyncJob parent) {
        requireLocked("begin a nested job");
        Thread me = Thread.currentThread();
        if (active != null && active.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " already holds " + active.describe()
                    + " on domain '" + dom.name() + "' and asked for a nested job of " + parent.describe());
        }
        if (agent != null && agent.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " holds " + agent.describe()
                    + " and asked for a nested job: agent and normal jobs are never held together");
        }
        long deadline = 0;
        boolean queued = false;
        try {
            while (true) {
                if (dom.isRemoved()) {
                    throw removed();
                }
                parent.requireCurrent();
                if (JobRules.nested(active != null) == JobRules.Block.NONE) {
                    break;
                }
                if (!queued) {
                    enqueue(false, "nested job of " + parent.describe());
                    queued = true;
                    deadline = System.nanoTime() + config.waitTimeout().toNanos();
                }
                await(jobCond, deadline, "", "nested job of " + parent.describe());
            }
        } finally {
            if (queued) {
                waiters--;
            }
        }
        Job job = new Job(this, JobKind.NESTED, parent.api, me, parent);
        active = job;
        return job;
    }

    // ==== async jobs ====

    /** Begins an async job with its kind's default mask and no phase; see {@link #beginAsync(AsyncJobKind, String, Set, String)}. */
    public AsyncJob beginAsync(AsyncJobKind kind, String api) {
        return beginAsync(kind, api, null, "");
    }

    /**
     * Begins an async job: waits (lock dropped) until no async job runs and no normal job is held.
     *
     * @param kind  what the job does
     * @param api   the API name
     * @param mask  the normal job kinds admitted meanwhile, or null for the kind's default;
     *              {@link AsyncJobKind#ALWAYS_ALLOWED} are added in any case
     * @param phase the initial phase (driver-defined; may be empty)
     * @throws VirtException as {@link #begin}
     * @throws IllegalStateException when the lock is not held or this thread holds any job on this domain
     */
    public AsyncJob beginAsync(AsyncJobKind kind, String api, Set<JobKind> mask, String phase) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(api, "api");
        int bits = mask == null ? kind.defaultBits() : JobKind.bits(mask);
        return startAsync(kind, api, bits, phase == null ? "" : phase, System.currentTimeMillis());
    }

    /**
     * Takes over an async job recorded in a status file before a restart, so that the caller can
     * finish or roll it back: it begins like {@link #beginAsync} with the saved kind, phase, mask
     * and start time.
     */
    public AsyncJob resumeAsync(JobState saved) {
        return startAsync(saved.kind(), saved.api(), JobKind.bits(saved.mask()), saved.phase(),
                saved.started().toEpochMilli());
    }

    private AsyncJob startAsync(AsyncJobKind kind, String api, int bits, String phase, long startMillis) {
        requireLocked("begin a " + kind + " async job");
        Thread me = Thread.currentThread();
        if ((active != null && active.owner == me) || (async != null && async.owner == me)
                || (agent != null && agent.owner == me)) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " already holds a job on domain '"
                    + dom.name() + "' (" + holders() + ") and asked for a " + kind + " async job (" + api + ")");
        }
        long deadline = 0;
        boolean queued = false;
        String what = kind + " async job (" + api + ")";
        try {
            while (true) {
                if (dom.isRemoved()) {
                    throw removed();
                }
                JobRules.Block b = JobRules.async(async != null, active != null);
                if (b == JobRules.Block.NONE) {
                    break;
                }
                Condition c = b == JobRules.Block.ASYNC_JOB ? asyncCond : jobCond;
                if (!queued) {
                    enqueue(false, what);
                    queued = true;
                    deadline = System.nanoTime() + config.waitTimeout().toNanos();
                }
                await(c, deadline, "", what);
            }
        } finally {
            if (queued) {
                waiters--;
            }
        }
        AsyncJob job = new AsyncJob(this, kind, api, me, bits | JobKind.bits(AsyncJobKind.ALWAYS_ALLOWED),
                phase, startMillis);
        async = job;
        return job;
    }

    /**
     * Cancels the running async job on behalf of {@code abortJob()}: marks it cancelled (its waits
     * wake and fail with {@code OPERATION_ABORTED}) and runs its cancel hook with the domain lock
     * dropped. The caller holds an {@link JobKind#ABORT} (or DESTROY) job and the domain lock.
     *
     * @return the kind of the job cancelled
     * @throws VirtException {@code OPERATION_INVALID} when no async job runs
     */
    public AsyncJobKind abortAsync(String api) {
        requireLocked("abort the async job");
        if (active == null || active.owner != Thread.currentThread()
                || (active.kind != JobKind.ABORT && active.kind != JobKind.DESTROY)) {
            throw new IllegalStateException("abortAsync needs an ABORT or DESTROY job held by this thread; held: "
                    + holders());
        }
        AsyncJob target = async;
        if (target == null) {
            throw VirtException.invalid("no job is active on the domain");
        }
        if (target.cancelCode == null) {
            cancelAsync(target, ErrorCode.OPERATION_ABORTED, "operation aborted: " + target.kind.operation()
                    + " job cancelled by " + api);
        }
        return target.kind;
    }

    /**
     * Makes the running async job fail with {@code reason} (e.g. the hypervisor process died): marks
     * it, wakes its waits and runs its cancel hook with the lock dropped. Needs only the domain lock,
     * so that an event handler can stop a job at once. Does nothing when no async job runs or it
     * was already cancelled.
     *
     * @return whether an async job was marked
     */
    public boolean failAsync(ErrorCode code, String reason) {
        requireLocked("fail the async job");
        AsyncJob target = async;
        if (target == null || target.cancelCode != null) {
            return false;
        }
        cancelAsync(target, Objects.requireNonNull(code, "code"), Objects.requireNonNull(reason, "reason"));
        return true;
    }

    /** Marks {@code target} cancelled, wakes every waiter and runs its hook with the lock dropped. */
    private void cancelAsync(AsyncJob target, ErrorCode code, String reason) {
        target.cancelCode = code;
        target.cancelReason = reason;
        Runnable hook = target.cancelHook;
        jobCond.signalAll();
        asyncCond.signalAll();
        if (hook != null) {
            int holds = releaseAll();
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cancel hook of " + target.kind + " job on domain '"
                        + dom.name() + "' failed", e);
            } finally {
                reacquire(holds);
            }
        }
    }

    // ==== agent jobs ====

    /**
     * Begins an agent job, waiting (lock dropped) for the running agent job to end. Agent jobs run
     * alongside normal and async jobs; they are serialised only among themselves.
     *
     * @throws IllegalStateException when the lock is not held, or this thread holds a normal or
     *                               agent job on this domain
     */
    public AgentJob beginAgent(AgentJobKind kind, String api) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(api, "api");
        requireLocked("begin an agent job");
        Thread me = Thread.currentThread();
        if (active != null && active.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " holds " + active.describe()
                    + " on domain '" + dom.name() + "' and asked for an agent " + kind + " job (" + api
                    + "): agent and normal jobs are never held together");
        }
        if (agent != null && agent.owner == me) {
            throw new IllegalStateException("thread " + Owners.thread(me) + " already holds " + agent.describe()
                    + " on domain '" + dom.name() + "'");
        }
        long deadline = 0;
        boolean queued = false;
        String what = "agent " + kind + " job (" + api + ")";
        try {
            while (true) {
                if (dom.isRemoved()) {
                    throw removed();
                }
                if (JobRules.agent(agent != null) == JobRules.Block.NONE) {
                    break;
                }
                if (!queued) {
                    enqueue(true, what);
                    queued = true;
                    deadline = System.nanoTime() + config.waitTimeout().toNanos();
                }
                await(agentCond, deadline, " (agent)", what);
            }
        } finally {
            if (queued) {
                waiters--;
            }
        }
        AgentJob job = new AgentJob(this, kind, api, me);
        agent = job;
        return job;
    }

    // ==== reading the state ====

    /** The running normal job's kind, or null. Lock held. */
    public JobKind activeKind() {
        Job j = active;
        return j == null ? null : j.kind;
    }

    /** The running async job's kind, or null. Lock held. */
    public AsyncJobKind asyncKind() {
        AsyncJob j = async;
        return j == null ? null : j.kind;
    }

    /** The running agent job's kind, or null. Lock held. */
    public AgentJobKind agentKind() {
        AgentJob j = agent;
        return j == null ? null : j.kind;
    }

    /** The running async job's persistent state, or null when none runs. Lock held. */
    public JobState asyncState() {
        AsyncJob j = async;
        return j == null ? null : j.state();
    }

    /** How many callers wait for a job on this domain now. Lock held. */
    public int waiting() {
        return waiters;
    }

    /**
     * What {@code jobInfo()} answers: the running async job with its progress, else the last
     * completed one, else {@link JobInfo#none()}. Never waits for a job.
     */
    public JobInfo info() {
        lock.lock();
        try {
            AsyncJob j = async;
            if (j == null) {
                return lastCompleted != null ? lastCompleted : JobInfo.none();
            }
            return j.info(j.progress.dataTotal() > 0 ? JobInfo.Type.BOUNDED : JobInfo.Type.UNBOUNDED, "");
        } finally {
            lock.unlock();
        }
    }

    /** The last completed async job's info, or null. */
    public JobInfo lastCompleted() {
        lock.lock();
        try {
            return lastCompleted;
        } finally {
            lock.unlock();
        }
    }

    /** Who holds jobs now, as errors show it ({@code "job=MODIFY api=suspend thread=t1 for 1.2 s; ..."}). */
    public String holders() {
        StringBuilder sb = new StringBuilder();
        long now = System.nanoTime();
        Job j = active;
        if (j != null) {
            Owners.append(sb, "job=" + j.kind, j.api, j.owner, now - j.startNanos);
        }
        AsyncJob a = async;
        if (a != null) {
            Owners.append(sb, "async job=" + a.kind, a.api, a.owner, now - a.startNanos);
        }
        AgentJob g = agent;
        if (g != null) {
            Owners.append(sb, "agent job=" + g.kind, g.api, g.owner, now - g.startNanos);
        }
        return sb.isEmpty() ? "no job" : sb.toString();
    }

    /** Called by {@link DomainObj} when the domain is removed from its list: every waiter gives up. */
    public void domainRemoved() {
        jobCond.signalAll();
        asyncCond.signalAll();
        agentCond.signalAll();
    }

    // ==== internals shared with the handles ====

    void endNormal(Job job) {
        if (active == job) {
            active = null;
            jobCond.signalAll();
        }
    }

    void endAsync(AsyncJob job, JobInfo completed) {
        if (async == job) {
            async = null;
            lastCompleted = completed;
            asyncCond.signalAll();
            jobCond.signalAll();
        }
    }

    void endAgent(AgentJob job) {
        if (agent == job) {
            agent = null;
            agentCond.signalAll();
        }
    }

    void requireLocked(String what) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("domain '" + dom.name() + "': lock the domain before you " + what);
        }
    }

    /** Drops every hold of the domain lock; returns how many to re-take. */
    int releaseAll() {
        int holds = lock.getHoldCount();
        for (int i = 0; i < holds; i++) {
            lock.unlock();
        }
        return holds;
    }

    void reacquire(int holds) {
        for (int i = 0; i < holds; i++) {
            lock.lock();
        }
    }

    VirtException removed() {
        return new VirtException(ErrorCode.NO_DOMAIN, "Domain not found: domain '" + dom.name()
                + "' was removed while waiting for a job");
    }

    private void enqueue(boolean limited, String what) {
        int max = config.maxQueuedWaiters();
        if (limited && max > 0 && waiters >= max) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot acquire state change lock for " + what
                    + " on domain '" + dom.name() + "': " + waiters + " callers wait already (limit maxQueuedWaiters="
                    + max + "); held by " + holders());
        }
        waiters++;
    }

    /** Waits on {@code c} until signalled or {@code deadline}; throws the timeout error past it. */
    void await(Condition c, long deadline, String suffix, String what) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "cannot acquire state change lock" + suffix
                    + " (held by " + holders() + ") for " + what + " on domain '" + dom.name() + "' after "
                    + Owners.seconds(config.waitTimeout().toNanos()));
        }
        try {
            c.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while waiting for " + what
                    + " on domain '" + dom.name() + "'", e);
        }
    }
}
