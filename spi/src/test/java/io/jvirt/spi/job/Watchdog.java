package io.jvirt.spi.job;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Watches for deadlocks (monitors and java.util.concurrent locks) among platform threads and for a
 * global deadline; on either, records a full thread dump and interrupts the threads it watches.
 */
final class Watchdog implements AutoCloseable {
    private final Thread thread;
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final long deadlineNanos;
    private final Iterable<Thread> watched;

    Watchdog(long deadlineNanos, Iterable<Thread> watched) {
        this.deadlineNanos = deadlineNanos;
        this.watched = watched;
        this.thread = Thread.ofPlatform().daemon().name("job-watchdog").start(this::run);
    }

    private void run() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        while (!Thread.currentThread().isInterrupted()) {
            long[] dead = mx.findDeadlockedThreads();
            if (dead != null) {
                fail("deadlock among threads " + java.util.Arrays.toString(dead));
                return;
            }
            if (System.nanoTime() > deadlineNanos) {
                fail("global timeout: threads still running past the deadline");
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void fail(String why) {
        failure.set(why + "\n" + dump());
        for (Thread t : watched) {
            t.interrupt();
        }
    }

    /** A dump of every thread with its locks. */
    static String dump() {
        StringBuilder sb = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            sb.append(info);
        }
        return sb.toString();
    }

    /** The failure with its thread dump, or null. */
    String failure() {
        return failure.get();
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
