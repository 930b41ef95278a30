package io.jvirt.lock.lockd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** poll(2) on one raw descriptor, to bound waits on descriptors Java has no timeout for. */
final class Poll {
    private static final short POLLIN = 0x1;
    private static final int EINTR = 4;
    /** struct pollfd { int fd; short events; short revents; }. */
    private static final StructLayout POLLFD = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("fd"), ValueLayout.JAVA_SHORT.withName("events"),
            ValueLayout.JAVA_SHORT.withName("revents"));
    private static final VarHandle FD = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("fd"));
    private static final VarHandle EVENTS = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("events"));
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle POLL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("poll").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));

    private Poll() {
    }

    /** Whether {@code fd} becomes readable (or hung up) within {@code timeoutMs}. */
    static boolean readable(int fd, int timeoutMs) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(POLLFD);
            FD.set(p, 0L, fd);
            EVENTS.set(p, 0L, POLLIN);
            MemorySegment cs = arena.allocate(CAPTURE);
            while (true) {
                int r = (int) POLL.invokeExact(cs, p, 1L, timeoutMs);
                if (r >= 0) {
                    return r > 0;
                }
                int e = (int) ERRNO.get(cs, 0L);
                if (e != EINTR) {
                    throw new IOException("poll on fd " + fd + " failed: errno " + e);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
