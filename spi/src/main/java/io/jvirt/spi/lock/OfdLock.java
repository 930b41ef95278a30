package io.jvirt.spi.lock;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Open-file-description record locks ({@code F_OFD_SETLK}) on raw descriptors, through the
 * foreign-function API (x86_64 / aarch64 Linux). An OFD lock belongs to the open file, not to
 * the process: it conflicts with classic POSIX ({@code F_SETLK}) locks of other processes,
 * closing another descriptor of the same file does not drop it, and it travels with the
 * descriptor when handed to another process. Lock managers use byte 0; metadata locks byte 1.
 * <p>
 * Descriptors are plain ints owned by the caller; {@link #close(int)} closes one.
 */
public final class OfdLock {
    /** Lock commands (Linux). */
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final int F_OFD_SETLKW = 38;
    /** Lock types. */
    public static final short F_RDLCK = 0;
    public static final short F_WRLCK = 1;
    public static final short F_UNLCK = 2;
    private static final int SEEK_SET = 0;
    /** open(2) flags. */
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;
    private static final int EAGAIN = 11;
    private static final int EACCES = 13;
    private static final int EINTR = 4;

    /** struct flock: {short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid}. */
    private static final StructLayout FLOCK = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("l_type"),
            ValueLayout.JAVA_SHORT.withName("l_whence"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("l_start"),
            ValueLayout.JAVA_LONG.withName("l_len"),
            ValueLayout.JAVA_INT.withName("l_pid"),
            MemoryLayout.paddingLayout(4));
    private static final VarHandle L_TYPE = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_type"));
    private static final VarHandle L_WHENCE = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_whence"));
    private static final VarHandle L_START = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_start"));
    private static final VarHandle L_LEN = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_len"));
    private static final VarHandle L_PID = FLOCK.varHandle(MemoryLayout.PathElement.groupElement("l_pid"));

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle FCNTL;
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle STRERROR;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        FCNTL = linker.downcallHandle(libc.find("fcntl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                errno, Linker.Option.firstVariadicArg(2));
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
        STRERROR = linker.downcallHandle(libc.find("strerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** Who holds a conflicting lock, as {@code F_OFD_GETLK} reports it. */
    public record Holder(boolean exclusive, long pid) {
        /** {@code pid} is -1 when the holder is an OFD lock (no owning process). */
        public String describe() {
            return (exclusive ? "an exclusive" : "a shared") + " lock held by "
                    + (pid > 0 ? "process " + pid : "another open file (OFD lock)");
        }
    }

    private OfdLock() {
    }

    /**
     * Opens {@code path} with close-on-exec set.
     *
     * @param flags {@link #O_RDONLY} or {@link #O_RDWR}, optionally {@code | O_CREAT} (mode 0600)
     */
    public static int open(Path path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(cs, arena.allocateFrom(path.toString()), flags | O_CLOEXEC | O_NOCTTY, 0600);
            if (fd < 0) {
                int e = (int) ERRNO.get(cs, 0L);
                throw new IOException("cannot open " + path + ": " + strerror(e));
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes a descriptor (plain close(2)). */
    public static void close(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocate(CAPTURE);
            int r = (int) CLOSE.invokeExact(cs, fd);
            if (r != 0) {
                throw new IOException("close(" + fd + "): " + strerror((int) ERRNO.get(cs, 0L)));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Tries to take a lock on {@code [start, start+len)} without waiting.
     *
     * @param exclusive write lock when true (the descriptor must be writable), read lock otherwise
     * @return true when taken, false when another holder conflicts
     * @throws IOException for any other failure
     */
    public static boolean tryLock(int fd, long start, long len, boolean exclusive) throws IOException {
        return setlk(fd, F_OFD_SETLK, exclusive ? F_WRLCK : F_RDLCK, start, len);
    }

    /** Waits for a lock (blocking; callers bound the wait by retrying {@link #tryLock} instead). */
    public static void lock(int fd, long start, long len, boolean exclusive) throws IOException {
        setlk(fd, F_OFD_SETLKW, exclusive ? F_WRLCK : F_RDLCK, start, len);
    }

    /** Drops this descriptor's lock on {@code [start, start+len)}. */
    public static void unlock(int fd, long start, long len) throws IOException {
        setlk(fd, F_OFD_SETLK, F_UNLCK, start, len);
    }

    /**
     * Who would conflict with a lock of the given kind, or {@code null} when nobody does.
     */
    public static Holder conflict(int fd, long start, long len, boolean exclusive) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fl = flock(arena, exclusive ? F_WRLCK : F_RDLCK, start, len);
            MemorySegment cs = arena.allocate(CAPTURE);
            int r = (int) FCNTL.invokeExact(cs, fd, F_OFD_GETLK, fl);
            if (r < 0) {
                throw new IOException("fcntl(F_OFD_GETLK) on fd " + fd + ": " + strerror((int) ERRNO.get(cs, 0L)));
            }
            short type = (short) L_TYPE.get(fl, 0L);
            if (type == F_UNLCK) {
                return null;
            }
            return new Holder(type == F_WRLCK, (int) L_PID.get(fl, 0L));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static boolean setlk(int fd, int cmd, short type, long start, long len) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fl = flock(arena, type, start, len);
            MemorySegment cs = arena.allocate(CAPTURE);
            while (true) {
                int r = (int) FCNTL.invokeExact(cs, fd, cmd, fl);
                if (r == 0) {
                    return true;
                }
                int e = (int) ERRNO.get(cs, 0L);
                if (e == EINTR) {
                    continue;
                }
                if ((e == EAGAIN || e == EACCES) && cmd == F_OFD_SETLK) {
                    return false;
                }
                throw new IOException("fcntl(" + (cmd == F_OFD_SETLKW ? "F_OFD_SETLKW" : "F_OFD_SETLK")
                        + ") on fd " + fd + ": " + strerror(e));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment flock(Arena arena, short type, long start, long len) {
        MemorySegment fl = arena.allocate(FLOCK);
        L_TYPE.set(fl, 0L, type);
        L_WHENCE.set(fl, 0L, (short) SEEK_SET);
        L_START.set(fl, 0L, start);
        L_LEN.set(fl, 0L, len);
        L_PID.set(fl, 0L, 0);
        return fl;
    }

    /** The C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment p = (MemorySegment) STRERROR.invokeExact(errno);
            return p.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** The size of {@code struct flock} as laid out here (32 on 64-bit Linux). */
    static long flockSize() {
        return FLOCK.byteSize();
    }
}
