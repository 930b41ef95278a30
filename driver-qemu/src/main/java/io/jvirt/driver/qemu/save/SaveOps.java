package io.jvirt.driver.qemu.save;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.qemu.QemuHost;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.driver.qemu.process.LifecycleOps;
import io.jvirt.driver.qemu.process.QemuRun;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobCalls;
import io.jvirt.spi.job.JobKind;
import io.jvirt.spi.job.JobProgress;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Save to a file and restore from one: the QEMU driver's first async jobs (SAVE, RESTORE).
 * QEMU's migration stream goes to / comes from a descriptor handed over with QMP {@code getfd}
 * ({@code fd:NAME} URIs); a small header ({@link SaveImage}) precedes it. See docs/qemu-driver.md.
 */
public final class SaveOps {
    private static final System.Logger LOG = System.getLogger(SaveOps.class.getName());
    private static final Duration POLL = Duration.ofMillis(50);
    private static final String FD_NAME = "jvirt-save";
    /** Migration states in which QEMU is still working. */
    private static final Set<String> ACTIVE = Set.of("setup", "active", "cancelling", "pre-switchover", "device",
            "wait-unplug");
    /** QEMU's largest accepted max-bandwidth (bytes/s): "as fast as the file takes it". */
    private static final long UNLIMITED = Long.MAX_VALUE >> 10;
    private final QemuHost host;
    private volatile long bandwidth = Long.getLong("jvirt.qemu.saveBandwidthMiB", 0) << 20;
    private volatile Duration stallTimeout = Duration.ofSeconds(Long.getLong("jvirt.qemu.saveStallSeconds", 60));

    /** Save and restore over {@code host}. */
    public SaveOps(QemuHost host) {
        this.host = host;
    }

    /**
     * Limits the speed of later saves to {@code bytesPerSecond} ({@code 0}: unlimited); the default
     * comes from the system property {@code jvirt.qemu.saveBandwidthMiB} (MiB/s). Tests use it to
     * make saves slow.
     */
    public void setBandwidth(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new VirtException(ErrorCode.INVALID_ARG, "save bandwidth must be >= 0 bytes/s, not " + bytesPerSecond);
        }
        this.bandwidth = bytesPerSecond;
    }

    // ---- save ----

    /** Saves a running or paused domain's memory and device state to {@code file} and stops it. */
    public void save(DomainObj dom, Path file) {
        Path target = file.toAbsolutePath().normalize();
        if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw new VirtException(ErrorCode.INVALID_ARG, "cannot save to '" + file + "': its directory does not exist");
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + ".part");
        FileOutputStream[] out = new FileOutputStream[1];
        boolean wasRunning = false;
        try (var l = dom.locked()) {
            try (AsyncJob job = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save")) {
                dom.requireActive();
                QemuRun run = dom.privateData();
                wasRunning = dom.state() == DomainState.RUNNING;
                try {
                    doSave(dom, job, run, wasRunning, target, tmp, out);
                    job.complete();
                    return;
                } catch (RuntimeException e) {
                    job.fail(e.getMessage());
                    closeQuietly(out[0]);
                    if (!(e instanceof VirtException)) {
                        throw e;
                    }
                    if (!job.isCancelled()) {
                        // a failure of our own (QEMU reported an error): the domain is ours to resume
                        rollBack(dom, job, run, wasRunning, (VirtException) e);
                    }
                    throw e;
                }
            } catch (VirtException e) {
                if (dom.isActive() && !dom.isRemoved() && dom.status().reason() == StateReason.SAVE) {
                    resumeAfterCancel(dom, wasRunning);
                }
                throw e;
            }
        } finally {
            closeQuietly(out[0]);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove the partial save image " + tmp + ": " + e.getMessage());
            }
        }
    }

    private void doSave(DomainObj dom, AsyncJob job, QemuRun run, boolean wasRunning, Path target, Path tmp,
                        FileOutputStream[] out) {
        QmpMonitor mon = LifecycleOps.monitor(run);
        persist(run, job, wasRunning, tmp);
        if (wasRunning) {
            job.monitorVoid(() -> mon.execute("stop"));
            // vCPUs stopped: the disks are free for others until (and unless) they run here again
            host.lifecycle().releaseLocksAfterStop(job, run); // written with the state below
        }
        host.lifecycle().setState(dom, run, DomainState.PAUSED, StateReason.SAVE);
        if (wasRunning) {
            host.emit(dom, Lifecycle.SUSPENDED, "Paused");
        }
        SaveImage header = new SaveImage(DomainXml.format(dom.inactiveDef()), wasRunning);
        job.remoteVoid(() -> {
            try {
                out[0] = new FileOutputStream(tmp.toFile());
                header.write(out[0]);
                out[0].flush();
            } catch (IOException e) {
                throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot write the save image " + tmp + ": " + e.getMessage(), e);
            }
        });
        long bw = bandwidth;
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        params.put("max-bandwidth", bw > 0 ? bw : UNLIMITED);
        job.monitorVoid(() -> mon.execute("migrate-set-parameters", params));
        ObjectNode fdArgs = JsonNodeFactory.instance.objectNode().put("fdname", FD_NAME);
        FileDescriptor fd = fd(out[0], tmp);
        job.monitorVoid(() -> mon.executeWithFd("getfd", fdArgs, fd, host.config().jobs().monitorTimeout()));
        job.setPhase("migrating");
        persist(run, job, wasRunning, tmp);
        ObjectNode migArgs = JsonNodeFactory.instance.objectNode().put("uri", "fd:" + FD_NAME);
        job.monitorVoid(() -> mon.execute("migrate", migArgs));
        awaitMigration(job, mon, "save of domain '" + dom.name() + "' to " + target);
        // QEMU has written and closed its copy of the descriptor; make ours durable and publish the file
        job.remoteVoid(() -> {
            try {
                out[0].getFD().sync();
                out[0].close();
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                    dir.force(true);
                }
            } catch (IOException e) {
                throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot complete the save image " + target + ": "
                        + e.getMessage(), e);
            }
        });
        job.setPhase("stopping");
        persist(run, job, wasRunning, tmp);
        host.lifecycle().terminateFor(job, dom, StateReason.SAVED, "Saved");
    }

    /** Polls {@code query-migrate} until QEMU completes, publishing progress; fails on error or a stall. */
    private void awaitMigration(AsyncJob job, QmpMonitor mon, String what) {
        long lastBytes = -1;
        long lastChange = System.nanoTime();
        while (true) {
            JsonNode st = job.monitor(() -> mon.execute("query-migrate"));
            String status = st.path("status").asText("none");
            JsonNode ram = st.path("ram");
            long total = ram.path("total").asLong(0);
            long transferred = ram.path("transferred").asLong(0);
            if (ram.isObject()) {
                long remaining = ram.path("remaining").asLong(0);
                job.setProgress(new JobProgress(total, transferred, remaining, total, transferred, remaining, 0, 0, 0));
            }
            switch (status) {
                case "completed" -> {
                    if (total > 0) {
                        job.setProgress(JobProgress.memory(total, total));
                    }
                    return;
                }
                case "failed", "cancelled" -> throw new VirtException(ErrorCode.OPERATION_FAILED, what + " failed: QEMU reports "
                        + status + (st.has("error-desc") ? ": " + st.path("error-desc").asText() : ""));
                default -> {
                    if (!ACTIVE.contains(status)) {
                        throw new VirtException(ErrorCode.OPERATION_FAILED, what + ": unexpected migration status '" + status + "'");
                    }
                }
            }
            if (transferred != lastBytes) {
                lastBytes = transferred;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > stallTimeout.toNanos()) {
                throw new VirtException(ErrorCode.OPERATION_TIMEOUT, what + ": no progress for " + stallTimeout.toSeconds() + " s");
            }
            job.pause(POLL);
        }
    }

    /** After our own failure (async job still held): cancel QEMU's migration and resume the guest. */
    private void rollBack(DomainObj dom, AsyncJob job, QemuRun run, boolean wasRunning, VirtException cause) {
        try {
            if (dom.privateData() != run || !dom.isActive()) {
                return;
            }
            QmpMonitor mon = LifecycleOps.monitor(run);
            job.monitorVoid(() -> mon.execute("migrate_cancel"));
            resumeAfterSave(job, dom, run, mon, wasRunning);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': cannot resume after the failed save: {1}", dom.name(),
                    e.getMessage());
        }
    }

    /**
     * After abort (the async job has ended as cancelled): under a MODIFY job, wait for QEMU to finish
     * cancelling the migration and resume the guest if it ran before the save. Lock held.
     */
    private void resumeAfterCancel(DomainObj dom, boolean wasRunning) {
        if (!dom.isActive()) {
            return;
        }
        try (Job job = dom.jobs().begin(JobKind.MODIFY, "save")) {
            if (!(dom.privateData() instanceof QemuRun run) || !dom.isActive()
                    || dom.status().reason() != StateReason.SAVE) {
                return;
            }
            QmpMonitor mon = LifecycleOps.monitor(run);
            resumeAfterSave(job, dom, run, mon, wasRunning);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': cannot resume after the cancelled save: {1}", dom.name(),
                    e.getMessage());
        }
    }

    /**
     * Once QEMU's migration has stopped being active: the guest runs again if it ran before the
     * save, with its disk locks taken back first; when they cannot be (another host took a disk
     * meanwhile) it stays paused without them, and a later resume retries. Lock and job held.
     */
    private void resumeAfterSave(JobCalls job, DomainObj dom, QemuRun run, QmpMonitor mon, boolean wasRunning) {
        awaitIdle(dom, mon, job);
        if (wasRunning) {
            try {
                host.lifecycle().acquireLocksBeforeCont(job, dom, run);
            } catch (VirtException e) {
                restoreState(dom, run, false);
                throw e;
            }
            job.monitorVoid(() -> mon.execute("cont"));
        }
        restoreState(dom, run, wasRunning);
    }

    private void restoreState(DomainObj dom, QemuRun run, boolean wasRunning) {
        run.setStatus(run.status().withJob(null));
        if (wasRunning) {
            host.lifecycle().setState(dom, run, DomainState.RUNNING, StateReason.SAVE_CANCELED);
            host.emit(dom, Lifecycle.RESUMED, "Save canceled");
        } else {
            host.lifecycle().setState(dom, run, DomainState.PAUSED, StateReason.USER);
        }
    }

    /** Waits (bounded, 10 s) until QEMU's migration is no longer active. */
    public static void awaitIdle(DomainObj dom, QmpMonitor mon, JobCalls job) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String s = job.monitor(() -> mon.execute("query-migrate")).path("status").asText("none");
            if (!ACTIVE.contains(s)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "domain '" + dom.name()
                        + "': QEMU did not finish cancelling the save within 10 s (status " + s + ")");
            }
            dom.unlock();
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted");
            } finally {
                dom.lock();
            }
        }
    }

    private void persist(QemuRun run, AsyncJob job, boolean wasRunning, Path tmp) {
        Map<String, String> m = new HashMap<>(job.state().toMap());
        m.put("wasRunning", Boolean.toString(wasRunning));
        m.put("file", tmp.toString());
        run.setStatus(run.status().withJob(m));
        LifecycleOps.saveStatus(run);
    }

    /** Sends {@code migrate_cancel} for a running save (abortJob, under its ABORT job). */
    public void cancelMigration(DomainObj dom, Job abortJob) {
        if (dom.privateData() instanceof QemuRun run && dom.isActive()) {
            QmpMonitor mon = LifecycleOps.monitor(run);
            abortJob.monitorVoid(() -> mon.execute("migrate_cancel"));
        }
    }

    // ---- restore ----

    /** Starts a domain from a save image: QEMU with {@code -incoming defer}, the stream fed from the file. */
    public DomainObj restore(Path file) {
        try {
            return restoreOnce(file);
        } catch (VirtException e) {
            // a previous run of the same domain may still be stopping: its object was handed to us by
            // addOrGet and then removed while we waited for its job; one more try gets a fresh object
            if (e.code() != ErrorCode.NO_DOMAIN) {
                throw e;
            }
            return restoreOnce(file);
        }
    }

    private DomainObj restoreOnce(Path file) {
        Path src = file.toAbsolutePath().normalize();
        SaveImage img = SaveImage.read(src);
        DomainDef def;
        try {
            def = QemuHost.checkType(DomainXml.parse(img.xml()));
        } catch (VirtException e) {
            throw SaveImage.bad(src, "corrupt domain XML in the header: " + e.getMessage());
        }
        DomainObjList.AddResult added = host.domains().addOrGet(def, false);
        DomainObj d = added.domain();
        host.configure(d);
        FileInputStream[] in = new FileInputStream[1];
        try (var l = d.locked(); AsyncJob job = d.jobs().beginAsync(AsyncJobKind.RESTORE, "restore")) {
            if (d.isActive()) {
                throw VirtException.invalid("domain '" + d.name() + "' is already active");
            }
            try {
                try (Job nested = job.beginNested()) {
                    host.lifecycle().launchIncoming(d, nested, def);
                }
                QemuRun run = d.privateData();
                QmpMonitor mon = LifecycleOps.monitor(run);
                job.remoteVoid(() -> {
                    try {
                        in[0] = new FileInputStream(src.toFile());
                        in[0].getChannel().position(img.dataOffset());
                    } catch (IOException e) {
                        throw SaveImage.bad(src, "cannot read it: " + e.getMessage());
                    }
                });
                ObjectNode fdArgs = JsonNodeFactory.instance.objectNode().put("fdname", FD_NAME);
                FileDescriptor fd = fd(in[0], src);
                job.monitorVoid(() -> mon.executeWithFd("getfd", fdArgs, fd, host.config().jobs().monitorTimeout()));
                job.setPhase("incoming");
                ObjectNode args = JsonNodeFactory.instance.objectNode().put("uri", "fd:" + FD_NAME);
                job.monitorVoid(() -> mon.execute("migrate-incoming", args));
                awaitIncoming(job, mon, src);
                job.monitorVoid(() -> mon.execute("cont"));
                run.setStatus(run.status().withJob(null));
                host.lifecycle().setState(d, run, DomainState.RUNNING, StateReason.RESTORED);
                host.emit(d, Lifecycle.STARTED, "Restored");
                job.complete();
                return d;
            } catch (RuntimeException e) {
                job.fail(e.getMessage());
                if (d.privateData() instanceof QemuRun run) {
                    if (!job.isCancelled()) {
                        try (Job nested = job.beginNested()) {
                            host.lifecycle().failStart(d, nested);
                        } catch (RuntimeException e2) {
                            // typically: QEMU exited and the monitor's end handler cancelled this job first
                            e.addSuppressed(e2);
                        }
                    }
                    if (d.privateData() == run) {
                        // QEMU exited (the monitor's end is being handled) or a destroy runs: never return
                        // before that stop is done, or the caller sees a domain that vanishes under it
                        awaitStopped(d, run);
                    }
                }
                if (added.added() && !d.isActive() && !d.isRemoved() && !d.isPersistent()) {
                    host.domains().remove(d);
                }
                if (e instanceof VirtException v && v.getMessage().contains(src.toString())) {
                    throw e;
                }
                if (job.isCancelled() && !d.isActive()) {
                    throw SaveImage.bad(src, "QEMU exited while loading the memory image (corrupt or truncated?): "
                            + e.getMessage() + logTail(d.name()));
                }
                throw new VirtException(e instanceof VirtException v ? v.code() : ErrorCode.OPERATION_FAILED,
                        "cannot restore from '" + src + "': " + e.getMessage(), e);
            }
        } finally {
            closeQuietly(in[0]);
        }
    }

    /** Waits (lock dropped, bounded 10 s) until whoever stops {@code run} has finished. Lock held once. */
    private static void awaitStopped(DomainObj d, QemuRun run) {
        d.unlock();
        try {
            run.stoppedFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException te) {
            LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': stop after a failed restore did not finish: {1}",
                    d.name(), te.toString());
        } finally {
            d.lock();
        }
    }

    /** Waits until QEMU has loaded the whole stream (bounded by the stall timeout). */
    private void awaitIncoming(AsyncJob job, QmpMonitor mon, Path src) {
        long deadline = System.nanoTime() + stallTimeout.toNanos();
        while (true) {
            JsonNode st = job.monitor(() -> mon.execute("query-migrate"));
            String status = st.path("status").asText("none");
            if (status.equals("completed")) {
                return;
            }
            if (status.equals("failed") || status.equals("cancelled")) {
                throw SaveImage.bad(src, "QEMU could not load the memory image (" + status
                        + (st.has("error-desc") ? ": " + st.path("error-desc").asText() : "; corrupt or truncated?") + ")");
            }
            String qs = job.monitor(() -> mon.execute("query-status")).path("status").asText();
            if (!qs.equals("inmigrate") && !status.equals("active") && !status.equals("setup")) {
                if (qs.equals("paused") || qs.equals("postmigrate") || qs.equals("prelaunch")) {
                    return; // loaded; QEMU leaves the CPUs stopped for our cont
                }
                throw SaveImage.bad(src, "QEMU could not load the memory image (state " + qs + ")");
            }
            if (System.nanoTime() > deadline) {
                throw SaveImage.bad(src, "QEMU did not finish loading it within " + stallTimeout.toSeconds() + " s");
            }
            job.pause(POLL);
        }
    }

    private String logTail(String name) {
        try {
            java.util.List<String> lines = Files.readAllLines(host.config().paths().log(name));
            java.util.List<String> qemu = lines.subList(Math.max(0, lines.size() - 4), lines.size()).stream()
                    .filter(x -> !x.contains(" jvirt: ")).toList();
            return qemu.isEmpty() ? "" : " (QEMU log: " + String.join(" | ", qemu) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static FileDescriptor fd(java.io.Closeable stream, Path file) {
        try {
            return stream instanceof FileInputStream i ? i.getFD() : ((FileOutputStream) stream).getFD();
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "no descriptor for " + file + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "close failed: " + e.getMessage());
            }
        }
    }
}
