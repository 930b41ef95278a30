package io.jvirt.spi.lock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OFD locks against classic POSIX byte-range locks ({@code lockf}/{@code F_SETLK}, as other lock
 * daemons take them) held by another process: python3's {@code fcntl.lockf}.
 */
@Timeout(60)
class OfdLockTest {
    /** python3 PATH MODE START: tries a non-blocking POSIX lock; prints "locked" or "busy", holds until stdin closes. */
    private static final String PY = """
            import fcntl, os, sys
            path, mode, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
            fd = os.open(path, os.O_RDWR)
            try:
                fcntl.lockf(fd, (fcntl.LOCK_EX if mode == "ex" else fcntl.LOCK_SH) | fcntl.LOCK_NB, 1, start)
                print("locked", flush=True)
            except OSError:
                print("busy", flush=True)
            sys.stdin.read()
            """;

    @Test
    void structFlockIs32Bytes() {
        assertEquals(32, OfdLock.flockSize());
    }

    @Test
    void ofdLockExcludesPosixLockOfAnotherProcessOnByteZeroOnly(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("disk.img"), "x".repeat(4096));
        int fd = OfdLock.open(f, OfdLock.O_RDWR);
        try {
            assertTrue(OfdLock.tryLock(fd, 0, 1, true));
            assertEquals("busy", tryPosix(f, "ex", 0));
            assertEquals("busy", tryPosix(f, "sh", 0));
            // other bytes (QEMU's own image locks live at 100-101 and 201) stay free
            assertEquals("locked", tryPosix(f, "ex", 100));
            assertEquals("locked", tryPosix(f, "ex", 201));
            // closing another descriptor of the same file keeps an OFD lock (unlike a POSIX one)
            OfdLock.close(OfdLock.open(f, OfdLock.O_RDONLY));
            assertEquals("busy", tryPosix(f, "ex", 0));
            OfdLock.unlock(fd, 0, 1);
            assertEquals("locked", tryPosix(f, "ex", 0));
        } finally {
            OfdLock.close(fd);
        }
    }

    @Test
    void posixLockOfAnotherProcessExcludesOfdLock(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("lease"), "");
        Process p = startPosix(f, "ex", 0);
        int fd = OfdLock.open(f, OfdLock.O_RDWR);
        try {
            assertEquals("locked", firstLine(p));
            assertFalse(OfdLock.tryLock(fd, 0, 1, true));
            assertFalse(OfdLock.tryLock(fd, 0, 1, false));
            OfdLock.Holder h = OfdLock.conflict(fd, 0, 1, true);
            assertNotNull(h);
            assertTrue(h.exclusive());
            assertEquals(p.pid(), h.pid());
            assertTrue(OfdLock.tryLock(fd, 1, 1, true), "byte 1 is free");
            p.getOutputStream().close();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertNull(OfdLock.conflict(fd, 0, 1, true));
            assertTrue(OfdLock.tryLock(fd, 0, 1, true));
        } finally {
            OfdLock.close(fd);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void sharedLocksShare(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("shared.img"), "");
        int fd = OfdLock.open(f, OfdLock.O_RDONLY);
        try {
            assertTrue(OfdLock.tryLock(fd, 0, 1, false));
            assertEquals("locked", tryPosix(f, "sh", 0));
            assertEquals("busy", tryPosix(f, "ex", 0));
            int fd2 = OfdLock.open(f, OfdLock.O_RDWR);
            try {
                assertFalse(OfdLock.tryLock(fd2, 0, 1, true), "two OFDs conflict even in one process");
                assertTrue(OfdLock.tryLock(fd2, 0, 1, false));
            } finally {
                OfdLock.close(fd2);
            }
        } finally {
            OfdLock.close(fd);
        }
    }

    @Test
    void openFailureIsClear(@TempDir Path dir) {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> OfdLock.open(dir.resolve("missing"), OfdLock.O_RDWR));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("No such file"), e.getMessage());
    }

    private static Process startPosix(Path f, String mode, int start) throws IOException {
        return new ProcessBuilder("python3", "-c", PY, f.toString(), mode, Integer.toString(start))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static String tryPosix(Path f, String mode, int start) throws Exception {
        Process p = startPosix(f, mode, start);
        try {
            String line = firstLine(p);
            p.getOutputStream().close();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            return line;
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String firstLine(Process p) throws IOException {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }
}
