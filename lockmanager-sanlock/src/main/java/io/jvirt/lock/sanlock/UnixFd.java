package io.jvirt.lock.sanlock;

import org.newsclub.net.unix.FileDescriptorCast;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A stream socket used through plain system calls (foreign-function API), so that every read and
 * write is bounded by a deadline ({@code poll(2)} before each {@code recv}/{@code send}, both with
 * {@code MSG_DONTWAIT}) whether the socket is our own or a descriptor another process connected.
 * A borrowed descriptor is never closed or shut down here.
 */
final class UnixFd implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final short POLLIN = 0x1;
    private static final short POLLOUT = 0x4;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EINPROGRESS = 115;
    private static final int SUN_PATH_LEN = 108;

    private static final MethodHandle SOCKET;
    private static final MethodHandle CONNECT;
    private static final MethodHandle POLL;
    private static final MethodHandle SEND;
    private static final MethodHandle RECV;
    private static final MethodHandle CLOSE;
    private static final MethodHandle STRERROR;
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(StructLayout.PathElement.groupElement("errno"));

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        var I = ValueLayout.JAVA_INT;
        var L = ValueLayout.JAVA_LONG;
        var A = ValueLayout.ADDRESS;
        SOCKET = linker.downcallHandle(libc.find("socket").orElseThrow(), FunctionDescriptor.of(I, I, I, I), errno);
        CONNECT = linker.downcallHandle(libc.find("connect").orElseThrow(), FunctionDescriptor.of(I, I, A, I), errno);
        POLL = linker.downcallHandle(libc.find("poll").orElseThrow(), FunctionDescriptor.of(I, A, L, I), errno);
        SEND = linker.downcallHandle(libc.find("send").orElseThrow(), FunctionDescriptor.of(L, I, A, L, I), errno);
        RECV = linker.downcallHandle(libc.find("recv").orElseThrow(), FunctionDescriptor.of(L, I, A, L, I), errno);
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(I, I), errno);
        STRERROR = linker.downcallHandle(libc.find("strerror").orElseThrow(), FunctionDescriptor.of(A, I));
    }

    private final int fd;
    private final boolean owned;
    private final String peer;
    private boolean closed;

    private UnixFd(int fd, boolean owned, String peer) {
        this.fd = fd;
        this.owned = owned;
        this.peer = peer;
    }

    /** Connects a new socket to {@code path}; fails at once if nobody listens. */
    static UnixFd connect(Path path, long deadlineNanos) throws IOException {
        byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length >= SUN_PATH_LEN) {
            throw new IOException("socket path too long (" + p.length + " bytes, at most " + (SUN_PATH_LEN - 1) + "): " + path);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocate(CAPTURE);
            int fd = (int) SOCKET.invokeExact(cs, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket(AF_UNIX): " + strerror((int) ERRNO.get(cs, 0L)));
            }
            UnixFd s = new UnixFd(fd, true, path.toString());
            try {
                MemorySegment addr = arena.allocate(2 + SUN_PATH_LEN);
                addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
                MemorySegment.copy(p, 0, addr, ValueLayout.JAVA_BYTE, 2, p.length);
                while (true) {
                    int r = (int) CONNECT.invokeExact(cs, fd, addr, 2 + p.length + 1);
                    if (r == 0) {
                        return s;
                    }
                    int e = (int) ERRNO.get(cs, 0L);
                    if (e == EINTR) {
                        continue;
                    }
                    if (e != EAGAIN && e != EINPROGRESS) {
                        throw new IOException("cannot connect to " + path + ": " + strerror(e));
                    }
                    // the listener's backlog is full: retry until the deadline
                    if (System.nanoTime() - deadlineNanos >= 0) {
                        throw new java.net.SocketTimeoutException("cannot connect to " + path
                                + ": the listener accepts no connection (backlog full)");
                    }
                    Thread.sleep(20);
                }
            } catch (Throwable ex) {
                s.close();
                throw ex;
            }
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while connecting to " + path);
        } catch (Throwable t) {
            throw new IOException("socket call failed: " + t, t);
        }
    }

    /** Uses a descriptor connected by someone else; {@link #close()} leaves it open. */
    static UnixFd borrow(FileDescriptor descriptor, String peer) throws IOException {
        if (descriptor == null || !descriptor.valid()) {
            throw new IOException("invalid descriptor for the " + peer + " connection");
        }
        int fd = FileDescriptorCast.using(descriptor).as(Integer.class);
        if (fd < 0) {
            throw new IOException("invalid descriptor number " + fd + " for the " + peer + " connection");
        }
        return new UnixFd(fd, false, peer);
    }

    /** The descriptor number (tests). */
    int fdNumber() {
        return fd;
    }

    /** Writes all of {@code data} before {@code deadlineNanos} ({@link System#nanoTime()}). */
    void writeFully(byte[] data, long deadlineNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            MemorySegment cs = arena.allocate(CAPTURE);
            long off = 0;
            while (off < data.length) {
                long n = (long) SEND.invokeExact(cs, fd, buf.asSlice(off), (long) data.length - off, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n >= 0) {
                    off += n;
                    continue;
                }
                int e = (int) ERRNO.get(cs, 0L);
                if (e == EAGAIN) {
                    await(POLLOUT, deadlineNanos, "write");
                } else if (e != EINTR) {
                    throw new IOException("write to " + peer + ": " + strerror(e));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("send failed: " + t, t);
        }
    }

    /**
     * Reads exactly {@code n} bytes before {@code deadlineNanos}.
     *
     * @throws java.io.EOFException when the peer closes the connection first
     * @throws java.net.SocketTimeoutException when the deadline passes
     */
    byte[] readFully(int n, long deadlineNanos) throws IOException {
        byte[] out = new byte[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, n));
            MemorySegment cs = arena.allocate(CAPTURE);
            long off = 0;
            while (off < n) {
                long r = (long) RECV.invokeExact(cs, fd, buf.asSlice(off), (long) n - off, MSG_DONTWAIT);
                if (r > 0) {
                    off += r;
                    continue;
                }
                if (r == 0) {
                    throw new java.io.EOFException(peer + " closed the connection after " + off + " of " + n + " bytes");
                }
                int e = (int) ERRNO.get(cs, 0L);
                if (e == EAGAIN) {
                    await(POLLIN, deadlineNanos, "read");
                } else if (e != EINTR) {
                    throw new IOException("read from " + peer + ": " + strerror(e));
                }
            }
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, out, 0, n);
            return out;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("recv failed: " + t, t);
        }
    }

    private void await(short events, long deadlineNanos, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(8, 4);
            MemorySegment cs = arena.allocate(CAPTURE);
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new java.net.SocketTimeoutException(peer + ": no " + what + " progress before the deadline");
                }
                pfd.set(ValueLayout.JAVA_INT, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, events);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, left / 1_000_000));
                int r = (int) POLL.invokeExact(cs, pfd, 1L, Math.min(ms, 200));
                if (r > 0) {
                    return; // readable/writable, or an error/hang-up the next recv/send reports
                }
                if (r < 0) {
                    int e = (int) ERRNO.get(cs, 0L);
                    if (e != EINTR) {
                        throw new IOException("poll on " + peer + ": " + strerror(e));
                    }
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new java.io.InterruptedIOException("interrupted while waiting for " + peer);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("poll failed: " + t, t);
        }
    }

    /** Closes the socket if it is our own; a borrowed descriptor stays open. */
    @Override
    public void close() {
        if (closed || !owned) {
            closed = true;
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), fd);
        } catch (Throwable t) {
            // nothing more to do: the descriptor is gone either way
        }
    }

    private static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
