package io.jvirt.driver.qemu.process;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.qemu.QemuHost;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.driver.qemu.save.SaveOps;
import io.jvirt.driver.qemu.security.QemuSecurity;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Re-attaching to running QEMUs when a driver instance opens (after a restart, or in every
 * {@code jvirsh} call): each status file is checked against {@code /proc} (pid alive and not a
 * zombie, same start time, a QEMU command line naming the domain), the monitor is reconnected,
 * the state re-read with {@code query-status}, and an interrupted job is recovered:
 *
 * <table>
 *   <caption>Recovery of interrupted jobs</caption>
 *   <tr><th>job in the status file</th><th>what recovery does</th></tr>
 *   <tr><td>{@code start}, phase {@code spawned}</td><td>the CPUs never started and the start's caller got
 *       an error: QEMU is killed, the domain is shut off with reason {@code failed}</td></tr>
 *   <tr><td>none (idle, or a suspend/resume/shutdown/reboot that was in flight)</td><td>the state is
 *       taken from QEMU ({@code query-status}): running or paused; a pending power-off completes on its own</td></tr>
 *   <tr><td>{@code save}, phase {@code stopping}</td><td>the image was complete and renamed into place:
 *       QEMU is stopped, the domain shut off with reason {@code saved}</td></tr>
 *   <tr><td>{@code save}, any other phase</td><td>{@code migrate_cancel}, the partial image is removed, the guest
 *       resumed if it ran before the save (running, reason {@code save canceled}), else left paused</td></tr>
 *   <tr><td>anything unknown</td><td>treated as none, with a warning in the log</td></tr>
 * </table>
 *
 * A QEMU that is gone (or whose pid now belongs to another program) leaves the domain shut off
 * with reason {@code crashed}; its status file and sockets are removed.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());
    private final QemuHost host;
    private final LifecycleOps ops;

    Recovery(QemuHost host, LifecycleOps ops) {
        this.host = host;
        this.ops = ops;
    }

    void reconnectAll() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(host.config().paths().runDir(), "*.status.json")) {
            for (Path f : ds) {
                try {
                    reconnect(f);
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot recover the domain of " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list status files: " + e.getMessage());
        }
    }

    private void reconnect(Path file) throws IOException {
        StatusFile st = StatusFile.read(file);
        DomainDef live = DomainXml.parse(st.liveXml());
        Path dir = Path.of(st.monitor()).getParent();
        QemuRun run = ops.newRun(st.pid(), dir, file, st);
        run.lock = host.locks().reattach(live, st.id(), st.pid());
        if (host.security().enabled()) {
            run.labelled = QemuSecurity.paths(live, dir, host.config().paths().log(live.name()));
        }
        DomainObj d = host.domains().findByUuid(live.uuid());
        if (d == null) {
            d = host.domains().addOrGet(live, false).domain();
            host.configure(d);
        }
        run.agent = host.agentFor(d, live, st.agentSocket() == null ? null : Path.of(st.agentSocket()));
        try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "reconnect")) {
            if (d.isPersistent()) {
                d.setPersistentDef(d.def());
            }
            d.setDef(live);
            d.setPrivateData(run);
            host.domains().setId(d, st.id());
            d.setStatus(DomainState.valueOf(st.state()), StateReason.valueOf(st.reason()));
            if (!isOurQemu(st)) {
                LOG.log(System.Logger.Level.INFO, "domain ''{0}'': QEMU pid {1} is gone", d.name(), st.pid());
                ops.stop(d, run, StateReason.CRASHED);
                return;
            }
            QmpMonitor.Options opts = QmpMonitor.Options.defaults()
                    .withCommandTimeout(host.config().jobs().monitorTimeout())
                    .withConnectTimeout(Duration.ofSeconds(5));
            final DomainObj dom = d;
            QmpMonitor mon;
            try {
                mon = job.monitor(() -> QmpMonitor.connect(Path.of(st.monitor()), ops.listener(dom, run), opts,
                        () -> ProcInfo.isAlive(st.pid())));
            } catch (VirtException e) {
                if (!ProcInfo.isAlive(st.pid())) {
                    ops.stop(d, run, StateReason.CRASHED);
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "domain ''{0}'' runs (pid {1}) but its monitor is unavailable: {2}",
                        d.name(), st.pid(), e.getMessage());
                return;
            }
            run.monitor = mon;
            Map<String, String> jobRec = st.job();
            if (jobRec != null && "start".equals(jobRec.get("api"))) {
                LOG.log(System.Logger.Level.INFO, "domain ''{0}'': start was interrupted; stopping QEMU", d.name());
                ops.killAndWait(job, run);
                ops.stop(d, run, StateReason.FAILED);
                host.emit(d, Lifecycle.STOPPED, "Failed");
                return;
            }
            if (jobRec != null && "save".equals(jobRec.get("api"))) {
                recoverSave(d, job, run, mon, jobRec);
                return;
            }
            if (jobRec != null) {
                LOG.log(System.Logger.Level.WARNING, "domain ''{0}'': unknown interrupted job {1}; state taken from QEMU",
                        d.name(), jobRec);
            }
            JsonNode status = job.monitor(() -> mon.execute("query-status"));
            String s = status.path("status").asText();
            if (s.equals("running") && d.state() != DomainState.RUNNING) {
                ops.setState(d, run, DomainState.RUNNING, StateReason.UNPAUSED);
            } else if (!s.equals("running") && d.state() == DomainState.RUNNING) {
                ops.setState(d, run, DomainState.PAUSED, s.equals("shutdown") ? StateReason.SHUTTING_DOWN : StateReason.UNKNOWN);
            }
        }
    }

    /**
     * A save interrupted by the driver's end: in phase {@code stopping} the image is complete and
     * QEMU is stopped (shut off, saved); before that the migration is cancelled, the partial image
     * removed and the guest resumed if it ran before the save (running, save canceled).
     */
    private void recoverSave(DomainObj d, Job job, QemuRun run, QmpMonitor mon, Map<String, String> rec) {
        if ("stopping".equals(rec.get("phase"))) {
            LOG.log(System.Logger.Level.INFO, "domain ''{0}'': save had completed; stopping QEMU", d.name());
            run.destroying = true;
            ops.killAndWait(job, run);
            ops.stop(d, run, StateReason.SAVED);
            host.emit(d, Lifecycle.STOPPED, "Saved");
            return;
        }
        LOG.log(System.Logger.Level.INFO, "domain ''{0}'': save was interrupted; cancelling it", d.name());
        job.monitor(() -> mon.execute("migrate_cancel"));
        SaveOps.awaitIdle(d, mon, job);
        boolean wasRunning = "true".equals(rec.get("wasRunning"));
        if (wasRunning) {
            job.monitor(() -> mon.execute("cont"));
        }
        run.status = run.status.withJob(null);
        if (wasRunning) {
            ops.setState(d, run, DomainState.RUNNING, StateReason.SAVE_CANCELED);
        } else {
            ops.setState(d, run, DomainState.PAUSED, StateReason.USER);
        }
        String partial = rec.get("file");
        if (partial != null && Path.of(partial).getFileName().toString().endsWith(".part")) {
            try {
                Files.deleteIfExists(Path.of(partial));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove the partial save image " + partial + ": " + e.getMessage());
            }
        }
    }

    /** Whether the status file's pid is still the QEMU it started. */
    static boolean isOurQemu(StatusFile st) {
        if (!ProcInfo.isAlive(st.pid())) {
            return false;
        }
        if (st.startTicks() > 0 && ProcInfo.startTicks(st.pid()) != st.startTicks()) {
            return false;
        }
        List<String> cmd = ProcInfo.cmdline(st.pid());
        return !cmd.isEmpty() && cmd.get(0).equals(st.binary())
                && cmd.contains("guest=" + st.name().replace(",", ",,") + ",debug-threads=on");
    }
}
