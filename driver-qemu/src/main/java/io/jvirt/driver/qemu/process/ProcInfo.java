package io.jvirt.driver.qemu.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Facts about a process from {@code /proc}. A zombie counts as dead: after a driver restart QEMU
 * is an orphan that pid 1 may reap only seconds later, and nothing here ever waits for a reaper.
 */
public final class ProcInfo {
    private ProcInfo() {
    }

    /** The fields after the command name in {@code /proc/PID/stat}, or null if there is no such process. */
    static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = s.lastIndexOf(')');
            return s.substring(close + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@code pid} exists and is neither a zombie nor dead. */
    public static boolean isAlive(long pid) {
        String[] f = stat(pid);
        if (f == null) {
            return false;
        }
        String state = f[0];
        return !state.equals("Z") && !state.equals("X") && !state.equals("x");
    }

    /** The process's start time in clock ticks since boot (field 22), or -1; tells a reused pid apart. */
    public static long startTicks(long pid) {
        String[] f = stat(pid);
        if (f == null || f.length < 20) {
            return -1;
        }
        try {
            return Long.parseLong(f[19]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The command line's arguments, or an empty list. */
    public static List<String> cmdline(long pid) {
        try {
            String s = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
            if (s.isEmpty()) {
                return List.of();
            }
            return List.of(s.split("\u0000"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Waits until {@code pid} is dead (gone or a zombie), polling.
     *
     * @return whether it died within {@code timeoutNanos}
     */
    public static boolean awaitDeath(long pid, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        long sleepMicros = 200;
        while (isAlive(pid)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(java.time.Duration.ofNanos(sleepMicros * 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isAlive(pid);
            }
            sleepMicros = Math.min(sleepMicros * 2, 5000);
        }
        return true;
    }
}
