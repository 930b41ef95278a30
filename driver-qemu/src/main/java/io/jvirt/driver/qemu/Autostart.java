package io.jvirt.driver.qemu;

import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts the autostart domains of a host once per boot: the opener that creates
 * {@code RUN/autostarted} (with {@code O_EXCL}, so exactly one of several concurrent openers
 * does) starts every persistent, inactive domain whose {@code autostart/NAME} marker exists, one
 * after the other in name order, on a background thread, each as a normal start (its own MODIFY
 * job, a {@code Started/Booted} event). A failure is logged for that domain and the next one is
 * started. {@code RUN} is a tmpfs in session and system mode, so a reboot removes the marker; for
 * an embed root it stays until someone removes it.
 */
public final class Autostart {
    /** The marker's file name in the run directory. */
    static final String MARKER = "autostarted";
    private static final System.Logger LOG = System.getLogger(Autostart.class.getName());

    /**
     * What one autostart pass did.
     *
     * @param claimed whether this opener created the marker (false: another one did, nothing was started)
     * @param started the domains started, in order
     * @param failed  the domains whose start failed, with the error message
     */
    public record Result(boolean claimed, List<String> started, Map<String, String> failed) {
        static final Result NOT_CLAIMED = new Result(false, List.of(), Map.of());
    }

    private final QemuHost host;
    private final CompletableFuture<Result> done = new CompletableFuture<>();
    private volatile int pending;

    Autostart(QemuHost host) {
        this.host = host;
    }

    /**
     * Claims the marker and, when this opener created it, starts the flagged domains on a
     * background thread. Call once, after restart recovery, so that running domains are known.
     */
    void begin() {
        if (!claim(host.config().paths().runDir().resolve(MARKER))) {
            done.complete(Result.NOT_CLAIMED);
            return;
        }
        List<DomainObj> flagged = host.domains().list(d -> d.isPersistent() && d.isAutostart() && !d.isActive());
        List<DomainObj> todo = new ArrayList<>(flagged);
        todo.sort(Comparator.comparing(DomainObj::name));
        if (todo.isEmpty()) {
            done.complete(new Result(true, List.of(), Map.of()));
            return;
        }
        pending = todo.size();
        // a platform thread: starts do monitor I/O, which stays off virtual threads (see QmpMonitor)
        Thread.ofPlatform().daemon(true).name("jvirt-autostart-" + host.config().uri())
                .start(() -> run(todo));
    }

    private static boolean claim(Path marker) {
        try {
            Files.createFile(marker);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false; // started already in this boot (or, for an embed root, since the marker was made)
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "autostart skipped: cannot create " + marker + ": " + e.getMessage());
            return false;
        }
    }

    private void run(List<DomainObj> todo) {
        List<String> started = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>();
        try {
            for (DomainObj d : todo) {
                try {
                    if (!stillWanted(d)) {
                        continue; // undefined, started by a user, or unflagged since the list was taken
                    }
                    host.lifecycle().start(d);
                    started.add(d.name());
                    LOG.log(System.Logger.Level.INFO, "autostarted domain ''{0}''", d.name());
                } catch (VirtException e) {
                    if (d.isActive()) {
                        continue; // a user's start won the race: "already running" is no failure
                    }
                    failed.put(d.name(), e.getMessage());
                    LOG.log(System.Logger.Level.WARNING, "autostart of domain ''{0}'' failed: {1}", d.name(), e.getMessage());
                } catch (RuntimeException e) {
                    failed.put(d.name(), String.valueOf(e));
                    LOG.log(System.Logger.Level.WARNING, "autostart of domain '" + d.name() + "' failed", e);
                }
            }
        } finally {
            done.complete(new Result(true, List.copyOf(started), Map.copyOf(failed)));
        }
    }

    private static boolean stillWanted(DomainObj d) {
        try (var l = d.locked()) {
            return !d.isRemoved() && d.isPersistent() && d.isAutostart() && !d.isActive();
        }
    }

    /**
     * Waits for the pass to end. Each start is bounded by the job timeouts; {@code perDomain}
     * bounds the wait for each domain still to start.
     *
     * @return the result, or null when the pass did not end in time
     */
    Result await(Duration perDomain) {
        long budget = perDomain.toMillis() * Math.max(1, pending);
        try {
            return done.get(budget, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "autostart still running after " + budget + " ms");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return null; // run() completes normally; never reached
        }
    }

    /** Whether the pass has ended (or never began because another opener owns it). */
    boolean isDone() {
        return done.isDone();
    }
}
