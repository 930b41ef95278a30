package io.jvirt.driver.qemu.testutil;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A bare QEMU ({@code -machine none}) with a QMP socket, started by a test and killed by pid.
 */
public final class TestQemu implements AutoCloseable {
    /** The QEMU binary the tests use. */
    public static final String BINARY = "/usr/bin/qemu-system-x86_64";

    private final Process process;
    private final Path qmp;

    private TestQemu(Process process, Path qmp) {
        this.process = process;
        this.qmp = qmp;
    }

    /** Starts {@code qemu-system-x86_64 -machine none -qmp unix:DIR/qmp.sock,server=on,wait=off}. */
    public static TestQemu start(Path dir, String... extra) throws IOException {
        Path sock = dir.resolve("qmp.sock");
        List<String> argv = new ArrayList<>(List.of(BINARY, "-machine", "none", "-nodefaults", "-display", "none",
                "-qmp", "unix:" + sock + ",server=on,wait=off"));
        argv.addAll(List.of(extra));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        return new TestQemu(p, sock);
    }

    public long pid() {
        return process.pid();
    }

    public Path qmp() {
        return qmp;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL and reap. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
