package io.jvirt.driver.vz.sim;

import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkJob;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * An emulated SDK job: on its own virtual thread it waits out the planned latency (reporting
 * progress, watching for cancellation and for the planned failure point), applies its effect,
 * waits the planned completion delay, then completes.
 */
final class SimJob<T> implements SdkJob<T> {
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final String operation;
    private final long total;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Object monitor = new Object();
    private volatile boolean cancelRequested;
    private volatile boolean effectApplied;
    private volatile Progress progress;
    private T value;
    private SdkException error;

    private SimJob(String operation, long total) {
        this.operation = operation;
        this.total = total;
        this.progress = new Progress("queued", total, 0);
    }

    /**
     * Starts a job.
     *
     * @param total  units of work to report as progress (0 = none)
     * @param effect what the operation does once its latency passed; may throw {@link SdkException}
     * @param onEnd  run when the job ends, however it ends
     */
    static <T> SimJob<T> start(String operation, SimFaults.Plan plan, long total, Supplier<T> effect, Runnable onEnd) {
        SimJob<T> job = new SimJob<>(operation, total);
        Thread.ofVirtual().name("vz-sim-job-" + operation).start(() -> {
            try {
                job.run(plan, effect);
            } finally {
                // the handle is released before the waiter learns the outcome, as in the SDK
                onEnd.run();
                job.publish();
            }
        });
        return job;
    }

    private void run(SimFaults.Plan plan, Supplier<T> effect) {
        try {
            long latency = plan.latency().toNanos();
            long failPoint = (long) (latency * plan.failAt());
            long start = System.nanoTime();
            while (true) {
                if (cancelRequested) {
                    throw new SdkException(SdkException.Kind.CANCELLED, "SDK job '" + operation + "' was cancelled");
                }
                long elapsed = System.nanoTime() - start;
                if (plan.failure() != null && elapsed >= failPoint) {
                    throw new SdkException(SdkException.Kind.FAILED, "SDK job '" + operation + "' failed: " + plan.failure());
                }
                if (!plan.hang() && elapsed >= latency) {
                    break;
                }
                long done = latency == 0 ? 0 : (long) (total * Math.min(1.0, (double) elapsed / latency));
                progress = new Progress(plan.hang() ? "waiting" : "running", total, done);
                long wait = plan.hang() ? SLICE_NANOS : Math.min(SLICE_NANOS, Math.max(1, latency - elapsed));
                synchronized (monitor) {
                    if (!cancelRequested) {
                        TimeUnit.NANOSECONDS.timedWait(monitor, wait);
                    }
                }
            }
            progress = new Progress("finishing", total, total);
            T value = effect.get();
            effectApplied = true;
            if (!plan.after().isZero()) {
                Thread.sleep(plan.after());
            }
            progress = new Progress("completed", total, total);
            this.value = value;
        } catch (SdkException e) {
            error = e;
        } catch (InterruptedException e) {
            error = new SdkException(SdkException.Kind.CANCELLED, "SDK job '" + operation + "' interrupted");
        } catch (RuntimeException e) {
            error = new SdkException(SdkException.Kind.FAILED, "SDK job '" + operation + "' failed unexpectedly: " + e);
        }
    }

    private void publish() {
        if (error != null) {
            result.completeExceptionally(error);
        } else {
            result.complete(value);
        }
    }

    @Override
    public String operation() {
        return operation;
    }

    @Override
    public T await(Duration timeout) {
        try {
            return result.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new SdkException(SdkException.Kind.TIMEOUT, "SDK job '" + operation + "' did not complete within "
                    + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SdkException se) {
                throw new SdkException(se.kind(), se.getMessage());
            }
            throw new SdkException(SdkException.Kind.FAILED, "SDK job '" + operation + "' failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdkException(SdkException.Kind.CANCELLED, "interrupted while waiting for SDK job '" + operation + "'");
        }
    }

    @Override
    public void cancel() {
        if (effectApplied) {
            return;
        }
        cancelRequested = true;
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    @Override
    public boolean isDone() {
        return result.isDone();
    }

    @Override
    public Progress progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "SimJob[" + operation + (isDone() ? " done" : " running") + "]";
    }
}
