package io.jvirt.spi.security;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.OfdLock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Exclusive metadata locks around changing a file's owner and mode: an OFD write lock on
 * <b>byte 1</b> of each path (lock managers use byte 0, QEMU bytes 100–101 and 201), taken in
 * sorted path order so two hosts labelling the same set cannot deadlock, each retried for a
 * bounded time. Only regular files and block devices are locked; other paths (sockets,
 * directories) are labelled without one. Closing releases every lock.
 */
public final class MetadataLock implements AutoCloseable {
    private static final long BYTE = 1;
    private static final long RETRY_MS = 20;

    private final List<Integer> fds;

    private MetadataLock(List<Integer> fds) {
        this.fds = fds;
    }

    /**
     * Locks every path (sorted, duplicates once).
     *
     * @throws VirtException {@code OPERATION_TIMEOUT} naming the path still locked after
     *         {@code timeout}; {@code SYSTEM_ERROR} when a path cannot be opened
     */
    public static MetadataLock lock(Collection<Path> paths, Duration timeout) {
        List<Integer> held = new ArrayList<>();
        MetadataLock lock = new MetadataLock(held);
        try {
            for (Path p : new TreeSet<>(paths.stream().map(x -> x.toAbsolutePath().normalize()).toList())) {
                if (!Files.isRegularFile(p) && !isBlockDevice(p)) {
                    continue;
                }
                int fd = OfdLock.open(p, OfdLock.O_RDWR);
                held.add(fd);
                long deadline = System.nanoTime() + timeout.toNanos();
                while (!OfdLock.tryLock(fd, BYTE, 1, true)) {
                    if (System.nanoTime() > deadline) {
                        throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "cannot take the metadata lock of " + p
                                + " within " + timeout.toMillis() + " ms: another host or process is changing its owner");
                    }
                    Thread.sleep(RETRY_MS);
                }
            }
            return lock;
        } catch (IOException e) {
            lock.close();
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "metadata lock failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            lock.close();
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while waiting for a metadata lock");
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static boolean isBlockDevice(Path p) {
        try {
            return Files.exists(p) && ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Releases every lock (closing the descriptors drops their OFD locks). */
    @Override
    public void close() {
        for (int fd : fds) {
            try {
                OfdLock.close(fd);
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
        fds.clear();
    }
}
