package io.jvirt.driver.qemu.process;

import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.qemu.QemuHost;
import io.jvirt.driver.qemu.caps.KvmStatus;
import io.jvirt.driver.qemu.caps.QemuCaps;
import io.jvirt.driver.qemu.command.CommandPaths;
import io.jvirt.driver.qemu.command.QemuCommand;
import io.jvirt.driver.qemu.command.QemuCommandBuilder;
import io.jvirt.driver.qemu.lock.DomainLock;
import io.jvirt.driver.qemu.monitor.QmpEvent;
import io.jvirt.driver.qemu.monitor.QmpListener;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.driver.qemu.security.QemuSecurity;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobCalls;
import io.jvirt.spi.job.JobKind;
import io.jvirt.spi.process.SpawnRequest;
import io.jvirt.spi.process.SpawnedProcess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Start, stop and state changes of QEMU domains, each under the job the job model prescribes,
 * with every wait on QEMU done with the domain lock dropped ({@link Job#monitor}, {@link Job#remote}).
 * QMP events and the monitor's end are handled here too (on the monitor's event worker).
 */
public final class LifecycleOps {
    private static final System.Logger LOG = System.getLogger(LifecycleOps.class.getName());
    private final QemuHost host;
    private final Recovery recovery;

    public LifecycleOps(QemuHost host) {
        this.host = host;
        this.recovery = new Recovery(host, this);
    }

    // ---- start / create ----

    /** Starts an inactive domain. */
    public void start(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "start")) {
            if (dom.isActive()) {
                throw VirtException.invalid("domain is already running");
            }
            launch(dom, job, dom.def());
        }
    }

    /** Creates and starts a transient domain. */
    public DomainObj create(DomainDef def) {
        QemuHost.checkType(def);
        while (true) {
            DomainObjList.AddResult added = host.domains().addOrGet(def, false);
            DomainObj d = added.domain();
            host.configure(d);
            try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "create")) {
                if (d.isActive()) {
                    throw VirtException.invalid("domain '" + d.name() + "' is already active");
                }
                DomainDef run = def;
                if (!added.added() && d.isPersistent()) {
                    d.setPersistentDef(d.def());
                }
                try {
                    launch(d, job, run);
                } catch (RuntimeException e) {
                    if (added.added() && !d.isActive() && !d.isRemoved()) {
                        host.domains().remove(d);
                    }
                    throw e;
                }
                return d;
            } catch (VirtException e) {
                if (!(e.code() == ErrorCode.NO_DOMAIN && d.isRemoved() && !added.added())) {
                    throw e;
                }
            }
        }
    }

    /** Spawns QEMU for {@code def}, connects the monitor and starts the CPUs. Lock and job held. */
    private void launch(DomainObj d, Job job, DomainDef def) {
        launch(d, job, def, false);
    }

    /**
     * Spawns QEMU for {@code def} waiting for an incoming migration stream ({@code -incoming defer})
     * and connects the monitor; the CPUs stay stopped and the domain paused (restore). Lock and job held.
     */
    public void launchIncoming(DomainObj d, Job job, DomainDef def) {
        launch(d, job, def, true);
    }

    private void launch(DomainObj d, Job job, DomainDef def, boolean incoming) {
        long t0 = System.nanoTime(); // start-path checkpoints, logged at DEBUG (see docs/performance.md)
        QemuHost.checkType(def);
        if (def.type().equals("kvm")) {
            KvmStatus kvm = host.kvm();
            String why = kvm.unusableReason();
            if (why != null) {
                throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: domain type 'kvm': " + why);
            }
            if (kvm.nestedPvm()) {
                LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': {1}", d.name(), KvmStatus.NESTED_PVM_NOTE);
            }
        }
        String binary = def.emulator() != null ? def.emulator() : host.config().command().defaultEmulator();
        QemuCaps caps = job.remote(() -> host.caps(binary));
        int id = host.nextId();
        Path dir = host.config().paths().domainDir(id, d.name());
        CommandPaths paths = new CommandPaths(dir.resolve("monitor.sock"), dir.resolve("qemu.pid"), dir);
        QemuCommand cmd = new QemuCommandBuilder(caps, host.config().command().withImageLocking(host.imageLocking()))
                .build(def, paths);
        Path log = host.config().paths().log(d.name());
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(paths.monitorSocket());
            appendLog(log, "starting domain " + d.name() + " (id " + id + "): " + String.join(" ", cmd.argv()));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot prepare " + dir + ": " + e.getMessage(), e);
        }
        // lock manager: register QEMU's own process in the pre-exec window; then label; then exec (-S)
        DomainLock lock = host.locks().forStart(cmd.liveDef(), id);
        List<String> argv = cmd.argv();
        if (incoming) {
            argv = new java.util.ArrayList<>(argv);
            argv.addAll(List.of("-incoming", "defer"));
        }
        SpawnRequest.Builder rb = SpawnRequest.builder(argv).logFile(log).umask(0007)
                .timeout(host.config().jobs().monitorTimeout()).hook(lock.registerHook());
        QemuSecurity sec = host.security();
        List<Path> labels = List.of();
        if (sec.enabled()) {
            sec.checkUsable();
            labels = QemuSecurity.paths(cmd.liveDef(), dir, log);
            rb.hook(sec.labelHook(labels)).user(sec.uid(), sec.gid());
        }
        SpawnRequest req = rb.build();
        long tPrepared = System.nanoTime();
        SpawnedProcess sp;
        try {
            sp = job.remote(() -> host.spawner().spawn(req));
        } catch (VirtException e) {
            lock.close();
            throw new VirtException(e.code(), "cannot start domain '" + d.name() + "': " + e.getMessage(), e);
        }
        long tSpawned = System.nanoTime();
        QemuRun run = new QemuRun(sp.pid(), sp.process(), dir, host.config().paths().status(d.name()));
        run.lock = lock;
        run.labelled = labels;
        run.agent = host.agentFor(d, cmd.liveDef(), cmd.agentSocket());
        if (d.isPersistent() && d.persistentDef() == null) {
            d.setPersistentDef(def);
        }
        d.setDef(cmd.liveDef());
        d.setPrivateData(run);
        host.domains().setId(d, id);
        d.setStatus(DomainState.PAUSED, StateReason.STARTING_UP);
        run.status = new StatusFile(d.name(), d.uuid().toString(), id, sp.pid(), ProcInfo.startTicks(sp.pid()), binary,
                paths.monitorSocket().toString(), cmd.agentSocket() == null ? null : cmd.agentSocket().toString(),
                Instant.now().toString(), DomainState.PAUSED.name(), StateReason.STARTING_UP.name(),
                DomainXml.format(cmd.liveDef(), id), Map.of("api", "start", "phase", "spawned"), false, null);
        // the first status file (fsyncs: ~10 ms here) is written while QEMU starts up and we connect;
        // it is on disk before cont, and before any failure handling touches the status file
        FutureTask<Void> firstStatus = new FutureTask<>(() -> {
            saveStatus(run);
            return null;
        });
        Thread.ofVirtual().name("status-" + d.name()).start(firstStatus);
        // the disk locks are taken while QEMU starts up, too: with -S it runs no guest code before
        // cont, so holding them from here on is as safe as from just before cont, and the daemon
        // round trips (or a lease acquisition) leave the start path; joined before cont
        FutureTask<Void> locking = new FutureTask<>(() -> {
            lock.acquire(null); // every disk and lease
            return null;
        });
        Thread.ofVirtual().name("locks-" + d.name()).start(locking);
        try {
            long tStatus = System.nanoTime();
            QmpMonitor.Options opts = QmpMonitor.Options.defaults()
                    .withCommandTimeout(host.config().jobs().monitorTimeout())
                    .withConnectTimeout(host.config().jobs().monitorTimeout());
            QmpMonitor mon = job.monitor(() -> QmpMonitor.connect(paths.monitorSocket(), listener(d, run), opts,
                    () -> ProcInfo.isAlive(run.pid)));
            run.monitor = mon;
            long tConnected = System.nanoTime();
            await(firstStatus, "writing the status file");
            long tMonitor = System.nanoTime();
            tStatus += tMonitor - tConnected; // the wait for the status file, if any, counts as "status"
            job.remoteVoid(() -> await(locking, "taking the disk locks")); // before the vCPUs start
            long tLocked = System.nanoTime();
            if (incoming) {
                return; // restore: the caller loads the stream, then sends cont
            }
            // a failing cont is handled below: QEMU is killed first, then the locks are released
            // (in that order, so the vCPUs never run without them even if cont took effect unseen)
            job.monitorVoid(() -> {
                BeforeContSeam.run(d.name(), dir, mon);
                mon.execute("cont");
            });
            long tCont = System.nanoTime();
            d.setStatus(DomainState.RUNNING, StateReason.BOOTED);
            run.status = run.status.withState(DomainState.RUNNING.name(), StateReason.BOOTED.name()).withJob(null);
            saveStatus(run);
            long tDone = System.nanoTime();
            LOG.log(System.Logger.Level.DEBUG, "start phases of domain ''{0}'' (ms): prepare {1}, spawn {2}, status {3},"
                    + " monitor {4}, locks {5}, cont {6}, running status {7}", d.name(), ms(tPrepared - t0),
                    ms(tSpawned - tPrepared), ms(tStatus - tSpawned), ms(tMonitor - tStatus), ms(tLocked - tMonitor),
                    ms(tCont - tLocked), ms(tDone - tCont));
            host.emit(d, Lifecycle.STARTED, "Booted");
        } catch (RuntimeException e) {
            try {
                await(firstStatus, "writing the status file");
            } catch (RuntimeException ignored) {
                // the start failed anyway; stop() below replaces or removes the status file
            }
            try {
                job.remoteVoid(() -> await(locking, "taking the disk locks")); // no release racing an acquire
            } catch (RuntimeException ignored) {
                // refused or failed: the release below is harmless either way
            }
            if (d.privateData() == run) {
                run.destroying = true;
                killAndWait(job, run);
                releaseLocks(job, run);
                stop(d, run, StateReason.FAILED);
                host.emit(d, Lifecycle.STOPPED, "Failed");
            }
            throw new VirtException(e instanceof VirtException v ? v.code() : ErrorCode.OPERATION_FAILED,
                    "cannot start domain '" + d.name() + "': " + e.getMessage() + logTail(log), e);
        }
    }

    // ---- stop ----

    /**
     * Stops QEMU at the end of an async job that ends the domain (a save): SIGTERM/SIGKILL with the
     * lock dropped, then the domain is shut off with {@code reason}. Lock and async job held.
     */
    public void terminateFor(AsyncJob job, DomainObj d, StateReason reason, String detail) {
        QemuRun run = d.privateData();
        run.destroying = true;
        boolean dead = job.remote(() -> terminate(run.pid, run.status == null ? -1 : run.status.startTicks(),
                host.config().destroyGrace()));
        if (!dead) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU (pid " + run.pid + ") did not die after SIGKILL");
        }
        if (run.lock != null) {
            job.remote(run.lock::releaseQuietly);
        }
        stop(d, run, reason);
        host.emit(d, Lifecycle.STOPPED, detail);
    }

    /** Kills QEMU and shuts the domain off with reason {@code failed} (a failed restore). Lock and a job held. */
    public void failStart(DomainObj d, Job job) {
        if (d.privateData() instanceof QemuRun run) {
            run.destroying = true;
            killAndWait(job, run);
            releaseLocks(job, run);
            stop(d, run, StateReason.FAILED);
            host.emit(d, Lifecycle.STOPPED, "Failed");
        }
    }

    /** Stops QEMU by force: SIGTERM, then SIGKILL after the grace period. */
    public void destroy(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.DESTROY, "destroy")) {
            dom.requireActive();
            QemuRun run = dom.privateData();
            run.destroying = true;
            killAndWait(job, run);
            releaseLocks(job, run);
            stop(dom, run, StateReason.DESTROYED);
            host.emit(dom, Lifecycle.STOPPED, "Destroyed");
        }
    }

    /** Sends signals to QEMU and waits for its death with the lock dropped. Lock and job held. */
    void killAndWait(Job job, QemuRun run) {
        boolean dead = job.remote(() -> terminate(run.pid, run.status == null ? -1 : run.status.startTicks(),
                host.config().destroyGrace()));
        if (!dead) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU (pid " + run.pid + ") did not die after SIGKILL");
        }
    }

    /** SIGTERM, wait {@code grace}, SIGKILL, wait 5 s. A zombie counts as dead. */
    static boolean terminate(long pid, long startTicks, Duration grace) {
        if (!ProcInfo.isAlive(pid)) {
            return true;
        }
        if (startTicks > 0 && ProcInfo.startTicks(pid) != startTicks) {
            return true; // the pid belongs to another process now: ours is long gone
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        if (ProcInfo.awaitDeath(pid, grace.toNanos())) {
            return true;
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        return ProcInfo.awaitDeath(pid, TimeUnit.SECONDS.toNanos(5));
    }

    /** Cleans up after QEMU is gone and marks the domain shut off. Lock and a job held. */
    void stop(DomainObj d, QemuRun run, StateReason reason) {
        QmpMonitor mon = run.monitor;
        if (mon != null) {
            mon.close();
        }
        DomainLock lock = run.lock;
        if (lock != null) {
            lock.close(); // the owner's locks ended with QEMU's process (its connection closed)
        }
        host.security().restore(run.labelled);
        run.labelled = List.of();
        if (run.agent != null) {
            run.agent.close();
        }
        try {
            Files.deleteIfExists(run.statusFile);
            if (Files.isDirectory(run.dir)) {
                try (Stream<Path> s = Files.walk(run.dir)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            appendLog(host.config().paths().log(d.name()), "domain " + d.name() + " stopped: " + reason.label());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cleanup of " + d.name() + " incomplete: " + e.getMessage());
        }
        host.domains().setId(d, -1);
        d.setStatus(DomainState.SHUTOFF, reason);
        d.setPrivateData(null);
        if (d.persistentDef() != null) {
            d.setDef(d.persistentDef());
            d.setPersistentDef(null);
        }
        if (!d.isPersistent()) {
            host.domains().remove(d);
        }
        run.stopped.complete(null);
    }

    /** Presses the ACPI power button and waits (job released) until QEMU exits. */
    public void shutdown(DomainObj dom) {
        QemuRun run;
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "shutdown")) {
            dom.requireActive();
            run = dom.privateData();
            QmpMonitor mon = monitor(run);
            job.monitorVoid(() -> mon.execute("system_powerdown"));
        }
        Duration timeout = host.config().shutdownTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        // a guest still booting misses the button: press it again every second until it listens
        while (true) {
            try {
                run.stopped.get(1, TimeUnit.SECONDS);
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() >= deadline) {
                    throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "domain '" + dom.name() + "' did not power off within "
                            + timeout.toSeconds() + " s of the ACPI power button (does the guest handle ACPI?)");
                }
                QmpMonitor mon = run.monitor;
                if (mon != null && mon.isOpen()) {
                    try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "shutdown")) {
                        if (dom.privateData() == run) {
                            job.monitorVoid(() -> mon.execute("system_powerdown"));
                        }
                    } catch (VirtException ve) {
                        LOG.log(System.Logger.Level.DEBUG, "repeated power button failed: " + ve.getMessage());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VirtException(ErrorCode.OPERATION_FAILED, "interrupted while waiting for the guest to power off");
            } catch (ExecutionException e) {
                return;
            }
        }
    }

    /** Resets the guest ({@code system_reset}); the domain keeps running with the same id. */
    public void reboot(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "reboot")) {
            dom.requireActive();
            QmpMonitor mon = monitor(dom.privateData());
            job.monitorVoid(() -> mon.execute("system_reset"));
        }
    }

    /** Pauses the CPUs. */
    public void suspend(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.SUSPEND, "suspend")) {
            dom.requireActive();
            if (dom.state() == DomainState.PAUSED) {
                throw VirtException.invalid("domain '" + dom.name() + "' is already paused");
            }
            QemuRun run = dom.privateData();
            QmpMonitor mon = monitor(run);
            job.monitorVoid(() -> mon.execute("stop"));
            releaseLocksAfterStop(job, run);
            setState(dom, run, DomainState.PAUSED, StateReason.USER);
            host.emit(dom, Lifecycle.SUSPENDED, "Paused");
        }
    }

    /** Resumes the CPUs. */
    public void resume(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "resume")) {
            dom.requireActive();
            if (dom.state() != DomainState.PAUSED) {
                throw VirtException.invalid("domain '" + dom.name() + "' is not paused");
            }
            QemuRun run = dom.privateData();
            QmpMonitor mon = monitor(run);
            acquireLocksBeforeCont(job, dom, run); // a failure leaves the domain paused
            try {
                job.monitorVoid(() -> mon.execute("cont"));
            } catch (RuntimeException e) {
                throw contFailed(job, dom, run, mon, e);
            }
            setState(dom, run, DomainState.RUNNING, StateReason.UNPAUSED);
            host.emit(dom, Lifecycle.RESUMED, "Unpaused");
        }
    }

    /**
     * A resume's {@code cont} failed after the locks were acquired: make sure the vCPUs are not
     * running ({@code query-status}, and {@code stop} if they are — a timed-out {@code cont} may
     * still have taken effect), then release the locks and keep their state, so the paused domain
     * holds none. If QEMU cannot be confirmed paused the locks are kept: a guest that might run
     * must not lose them. Returns the error to throw. Lock and job held (dropped for the I/O).
     */
    private RuntimeException contFailed(Job job, DomainObj dom, QemuRun run, QmpMonitor mon, RuntimeException cause) {
        try {
            job.monitorVoid(() -> {
                if (mon.execute("query-status").path("running").asBoolean(true)) {
                    mon.execute("stop");
                }
            });
        } catch (RuntimeException stopError) {
            LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': cont failed and stop failed too; keeping its locks: {1}",
                    dom.name(), stopError.getMessage());
            return new VirtException(cause instanceof VirtException v ? v.code() : ErrorCode.OPERATION_FAILED,
                    "cannot resume domain '" + dom.name() + "': " + cause.getMessage()
                            + " (its locks are kept: QEMU could not be confirmed paused: " + stopError.getMessage() + ")", cause);
        }
        releaseLocksAfterStop(job, run);
        saveStatus(run);
        return new VirtException(cause instanceof VirtException v ? v.code() : ErrorCode.OPERATION_FAILED,
                "cannot resume domain '" + dom.name() + "' (it stays paused, its locks released): " + cause.getMessage(), cause);
    }

    /** QMP passthrough for experts: a MODIFY job; marks the domain tainted. */
    public String monitorCommand(DomainObj dom, String json, Duration timeout) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "qemuMonitorCommand")) {
            dom.requireActive();
            QemuRun run = dom.privateData();
            QmpMonitor mon = monitor(run);
            if (!run.status.tainted()) {
                LOG.log(System.Logger.Level.WARNING, "domain ''{0}'' is tainted: QMP passthrough used", dom.name());
                run.status = run.status.withTainted();
                saveStatus(run);
            }
            return job.monitor(() -> mon.passthrough(json, timeout));
        }
    }

    /**
     * After the vCPUs stopped (suspend, save): releases the domain's locks and keeps their state in
     * {@code run}'s status for the next acquire; the caller's next state change writes it to disk.
     * Lock and job held (dropped for the I/O).
     */
    public void releaseLocksAfterStop(JobCalls job, QemuRun run) {
        run.status = run.status.withLockState(releaseLocks(job, run));
    }

    /**
     * Before {@code cont} after such a stop (resume, a failed or cancelled save): acquires the
     * locks with the kept state, so the vCPUs never run without them; a failure (e.g. another host
     * took the disk meanwhile) leaves the domain paused. Lock and job held (dropped for the I/O).
     */
    public void acquireLocksBeforeCont(JobCalls job, DomainObj d, QemuRun run) {
        DomainLock lock = run.lock;
        if (lock == null) {
            return;
        }
        String saved = run.status.lockState();
        try {
            job.remoteVoid(() -> lock.acquire(saved));
        } catch (VirtException e) {
            throw new VirtException(e.code(), "cannot resume domain '" + d.name() + "' (it stays paused): " + e.getMessage(), e);
        }
        run.status = run.status.withLockState(null);
    }

    /**
     * Releases the domain's locks after its vCPUs stopped; the state to keep, or null. Lock and job held.
     * Also called once QEMU is dead (destroy, crash, failed start): the lock service would free the
     * owner's locks when it notices the process's connection close, but that is asynchronous; an
     * explicit release makes them free when the call returns.
     */
    private static String releaseLocks(JobCalls job, QemuRun run) {
        DomainLock lock = run.lock;
        return lock == null ? null : job.remote(lock::releaseQuietly);
    }

    /** The connected monitor of {@code run}, or OPERATION_FAILED. */
    public static QmpMonitor monitor(QemuRun run) {
        QmpMonitor mon = run.monitor;
        if (mon == null || !mon.isOpen()) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU monitor of pid " + run.pid + " is not connected");
        }
        return mon;
    }

    /** Sets the domain state and writes it to the status file. Lock and job held. */
    public void setState(DomainObj d, QemuRun run, DomainState state, StateReason reason) {
        d.setStatus(state, reason);
        run.status = run.status.withState(state.name(), reason.name());
        saveStatus(run);
    }

    /** Waits (at most 60 s) for a task of the start path run beside QEMU's start-up; rethrows its failure. */
    private static void await(FutureTask<Void> task, String what) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get(60, TimeUnit.SECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    throw new VirtException(ErrorCode.OPERATION_TIMEOUT, what + " did not finish within 60 s");
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r
                            : new VirtException(ErrorCode.SYSTEM_ERROR, what + " failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Writes {@code run}'s status file. */
    public static void saveStatus(QemuRun run) {
        try {
            run.status.write(run.statusFile);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot write status file " + run.statusFile + ": " + e.getMessage(), e);
        }
    }

    // ---- events ----

    QmpListener listener(DomainObj d, QemuRun run) {
        return new QmpListener() {
            @Override
            public void onEvent(QmpEvent event) {
                handleEvent(d, run, event);
            }

            @Override
            public void onClosed(Throwable error) {
                if (error != null) {
                    handleEof(d, run, error);
                }
            }
        };
    }

    private void handleEvent(DomainObj d, QemuRun run, QmpEvent ev) {
        if (run.agent != null) {
            run.agent.onMonitorEvent(ev.name(), ev.data());
        }
        switch (ev.name()) {
            case "SHUTDOWN" -> run.shutdownSeen = true; // QEMU exits next; the end of the monitor stops the domain
            case "STOP", "RESUME", "GUEST_PANICKED" -> {
                // an event may be stale (our own stop/cont, already applied by the job that sent it):
                // reconcile with what QEMU says now instead of applying the event blindly
                try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "qemuEvent")) {
                    if (d.privateData() != run || !d.isActive()) {
                        return;
                    }
                    if (ev.name().equals("GUEST_PANICKED")) {
                        setState(d, run, DomainState.CRASHED, StateReason.PANICKED);
                        host.emit(d, Lifecycle.CRASHED, "Panicked");
                        return;
                    }
                    QmpMonitor mon = monitor(run);
                    String status = job.monitor(() -> mon.execute("query-status")).path("status").asText();
                    boolean running = status.equals("running");
                    if (!running && d.state() == DomainState.RUNNING) {
                        setState(d, run, DomainState.PAUSED, StateReason.UNKNOWN);
                        host.emit(d, Lifecycle.SUSPENDED, "Paused");
                    } else if (running && d.state() == DomainState.PAUSED) {
                        setState(d, run, DomainState.RUNNING, StateReason.UNPAUSED);
                        host.emit(d, Lifecycle.RESUMED, "Unpaused");
                    }
                } catch (VirtException e) {
                    LOG.log(System.Logger.Level.DEBUG, "QMP event " + ev.name() + " for " + d.name() + " dropped: " + e.getMessage());
                }
            }
            default -> LOG.log(System.Logger.Level.DEBUG, "QMP event {0} for {1}", ev.name(), d.name());
        }
    }

    /** The monitor ended unasked: QEMU exited (shutdown) or died (crashed). */
    private void handleEof(DomainObj d, QemuRun run, Throwable error) {
        if (run.destroying) {
            return; // destroy (or a failed start) stops the domain itself
        }
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.DESTROY, "monitorEOF")) {
            if (d.privateData() != run) {
                return; // destroy or start handled it
            }
            killAndWait(job, run);
            releaseLocks(job, run);
            boolean shutdown = run.shutdownSeen;
            stop(d, run, shutdown ? StateReason.SHUTDOWN : StateReason.CRASHED);
            host.emit(d, Lifecycle.STOPPED, shutdown ? "Shutdown" : "Crashed");
        } catch (VirtException e) {
            if (d.isRemoved() || d.privateData() != run) {
                return; // stopped and undefined by someone else meanwhile
            }
            LOG.log(System.Logger.Level.WARNING, "stop processing of " + d.name() + " failed: " + e.getMessage());
        }
    }

    // ---- restart ----

    /** Re-attaches to every QEMU a status file names (see {@link Recovery}). */
    public void reconnectAll() {
        recovery.reconnectAll();
    }

    /** Closes every monitor without stopping QEMU (the host is closing). */
    public void detachAll() {
        for (DomainObj d : host.domains().list(x -> true)) {
            if (d.privateData() instanceof QemuRun run && run.monitor != null) {
                run.monitor.close();
            }
            if (d.privateData() instanceof QemuRun run && run.agent != null) {
                run.agent.detach();
            }
        }
    }

    QemuRun newRun(long pid, Path dir, Path statusFile, StatusFile status) {
        QemuRun run = new QemuRun(pid, null, dir, statusFile);
        run.status = status;
        return run;
    }

    static void appendLog(Path log, String line) throws IOException {
        Files.createDirectories(log.getParent());
        Files.writeString(log, Instant.now() + " jvirt: " + line + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static String logTail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            List<String> qemu = lines.subList(Math.max(0, lines.size() - 3), lines.size()).stream()
                    .filter(s -> !s.contains(" jvirt: ")).toList();
            return qemu.isEmpty() ? "" : " (QEMU log: " + String.join(" | ", qemu) + ")";
        } catch (IOException e) {
            return "";
        }
    }
}
