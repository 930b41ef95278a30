package io.jvirt.driver.qemu.monitor;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs monitor socket I/O on platform threads. junixsocket puts a socket into non-blocking mode
 * while a virtual thread reads or writes it; the mode belongs to the shared descriptor, so a
 * platform thread using the same socket at that moment fails with EAGAIN ("Resource temporarily
 * unavailable"). Keeping every read and write of a monitor on platform threads avoids the flip.
 */
final class PlatformIo {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("qmp-io-", 0).factory());

    private PlatformIo() {
    }

    /**
     * Runs {@code body} here when the caller is a platform thread, else on a platform thread while
     * the caller waits (at most {@code bound}; the body's own deadline normally ends it first).
     */
    static <T> T run(Supplier<T> body, Duration bound) {
        if (!Thread.currentThread().isVirtual()) {
            return body.get();
        }
        Future<T> f = POOL.submit(body::get);
        try {
            return f.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "monitor call failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "no reply from the QEMU monitor within "
                    + bound.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while waiting for the QEMU monitor");
        }
    }
}
