package io.jvirt.spi.process;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * The JVM's copy of a unix-socket descriptor that a spawned process connected before exec.
 * Reads and writes go straight to the descriptor ({@code read(2)}/{@code write(2)}) and time out
 * after the timeout the spawn request gave (the helper sets {@code SO_RCVTIMEO}/{@code SO_SNDTIMEO}
 * while it waits, and clears them before exec). {@link #close()} closes only this copy: it never
 * calls {@code shutdown()}, which would end the connection for the spawned program too.
 */
public final class PassedSocket implements AutoCloseable {
    private final Path path;
    private final FileDescriptor fd;
    private final FileInputStream in;
    private final FileOutputStream out;
    private boolean closed;

    PassedSocket(Path path, FileDescriptor fd) {
        this.path = path;
        this.fd = fd;
        this.in = new FileInputStream(fd);
        this.out = new FileOutputStream(fd);
    }

    /** The socket path that was connected. */
    public Path path() {
        return path;
    }

    /** The descriptor itself. */
    public FileDescriptor fileDescriptor() {
        return fd;
    }

    /** Reads from the connection. */
    public InputStream in() {
        return in;
    }

    /** Writes to the connection. */
    public OutputStream out() {
        return out;
    }

    /** Whether {@link #close()} ran. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Closes the JVM's copy of the descriptor (no {@code shutdown()}). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            in.close(); // closes the descriptor; the output stream shares it
        } catch (IOException e) {
            // the descriptor is gone either way
        }
    }
}
