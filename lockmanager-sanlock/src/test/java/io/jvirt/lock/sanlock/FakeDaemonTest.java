package io.jvirt.lock.sanlock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fake daemon on a unix socket that reads the request header and answers badly: every case
 * ends with a clear error, within the time limit, never a hang.
 */
@Timeout(30)
class FakeDaemonTest {
    @TempDir
    Path tmp;

    /** Runs a fake daemon answering each request's header with {@code answer} (null: stay silent). */
    private VirtException callAgainst(Function<byte[], byte[]> answer) throws Exception {
        Path sock = tmp.resolve("fake.sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock));
             var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            exec.submit(() -> {
                try (AFUNIXSocket s = server.accept()) {
                    byte[] h = s.getInputStream().readNBytes(32);
                    byte[] reply = answer.apply(h);
                    if (reply == null) {
                        s.getInputStream().read(); // silent until the client gives up and closes
                    } else {
                        s.getOutputStream().write(reply);
                        s.getOutputStream().flush();
                        s.getInputStream().read();
                    }
                }
                return null;
            });
            SanlockConfig cfg = SanlockConfig.from(ConfFile.of("qemu-sanlock.conf", Map.of("socket", sock.toString())));
            SanlockLockManager m = new SanlockLockManager(cfg, Duration.ofSeconds(1), Duration.ofSeconds(1));
            LockSession s = m.session(new LockOwner(UUID.randomUUID(), "vm", 1, 4242, "qemu:///system"),
                    List.of(new LockResource.Lease("LS", "key", tmp.resolve("lease").toString(), 0)));
            long t0 = System.nanoTime();
            VirtException e = assertThrows(VirtException.class, s::inquire);
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "bounded by the time limit");
            assertEquals(ErrorCode.OPERATION_FAILED, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("cannot inquire the sanlock leases of domain 'vm'"), e.getMessage());
            return e;
        }
    }

    private static byte[] reply(int magic, int cmd, int length, int result) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(1).putInt(cmd).putInt(0).putInt(length).putInt(0).putInt(result).putInt(0);
        return b.array();
    }

    @Test
    void garbageReply() throws Exception {
        VirtException e = callAgainst(h -> "HTTP/1.1 400 Bad Request\r\n\r\n1234".getBytes());
        assertTrue(e.getMessage().contains("bad reply from sanlock") && e.getMessage().contains("magic 0x"), e.getMessage());
    }

    @Test
    void silentDaemonTimesOut() throws Exception {
        VirtException e = callAgainst(h -> null);
        assertTrue(e.getMessage().contains("no answer within the time limit"), e.getMessage());
    }

    @Test
    void truncatedReply() throws Exception {
        VirtException e = callAgainst(h -> java.util.Arrays.copyOf(reply(Wire.MAGIC, Wire.CMD_INQUIRE, 32, 0), 20));
        // 20 bytes, then silence: the rest of the header never comes
        assertTrue(e.getMessage().contains("no answer within the time limit"), e.getMessage());
    }

    @Test
    void hangUpMidReply() throws Exception {
        Path sock = tmp.resolve("hup.sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock));
             var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            exec.submit(() -> {
                try (AFUNIXSocket s = server.accept()) {
                    s.getInputStream().readNBytes(32);
                    s.getOutputStream().write(new byte[10]);
                }
                return null;
            });
            SanlockClient c = new SanlockClient(sock, Duration.ofSeconds(2), Duration.ofSeconds(2));
            var e = assertThrows(SanlockClient.SanlockIOException.class, () -> c.inquire(1));
            assertTrue(e.getMessage().contains("the daemon hung up"), e.getMessage());
        }
    }

    @Test
    void oversizedOrMismatchedReply() throws Exception {
        VirtException big = callAgainst(h -> reply(Wire.MAGIC, Wire.CMD_INQUIRE, 0x7fffffff, 0));
        assertTrue(big.getMessage().contains("length 2147483647 outside 32..1048576"), big.getMessage());
        VirtException other = callAgainst(h -> reply(Wire.MAGIC, 99, 32, 0));
        assertTrue(other.getMessage().contains("it answers command 99, expected 9"), other.getMessage());
    }

    @Test
    void noDaemon() {
        SanlockConfig cfg = SanlockConfig.from(ConfFile.of("qemu-sanlock.conf",
                Map.of("socket", tmp.resolve("absent.sock").toString())));
        SanlockLockManager m = new SanlockLockManager(cfg, Duration.ofSeconds(1), Duration.ofSeconds(1));
        LockSession s = m.session(new LockOwner(UUID.randomUUID(), "vm", 1, 4242, "qemu:///system"),
                List.of(new LockResource.Lease("LS", "key", "/l", 0)));
        VirtException e = assertThrows(VirtException.class, () -> s.acquire(null, Set.of(), List.of()));
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
        assertTrue(e.getMessage().contains("cannot connect to " + tmp.resolve("absent.sock")), e.getMessage());
    }

    @Test
    void daemonErrorCodesAreNamed() throws IOException, Exception {
        VirtException e = callAgainst(h -> reply(Wire.MAGIC, Wire.CMD_INQUIRE, 32, -22));
        assertTrue(e.getMessage().contains("invalid argument (EINVAL) [-22]"), e.getMessage());
    }
}
