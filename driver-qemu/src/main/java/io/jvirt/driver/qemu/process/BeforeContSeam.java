package io.jvirt.driver.qemu.process;

import io.jvirt.driver.qemu.monitor.QmpMonitor;

import java.nio.file.Path;

/**
 * <b>Test seam</b>, never set in production: code run on the start path after the domain's locks
 * were acquired and just before {@code cont}. Tests use it to make QEMU's own {@code cont} fail
 * (e.g. by starting a detached memory dump that cannot finish: QEMU then refuses {@code cont}
 * with "There is a dump in process") and to look at the lock service at that moment. A hook may
 * also throw; the start then fails as if {@code cont} had.
 * <p>
 * One hook at a time, for the whole JVM; it is told each domain's run directory so a test can
 * ignore other embed roots. Called with the domain lock dropped (it may do I/O).
 */
public final class BeforeContSeam {
    /** What runs before {@code cont}. */
    @FunctionalInterface
    public interface Hook {
        /**
         * @param domain  the domain's name
         * @param runDir  its run directory (under the embed root for {@code qemu:///embed})
         * @param monitor its connected QMP monitor
         */
        void beforeCont(String domain, Path runDir, QmpMonitor monitor);
    }

    private static volatile Hook hook;

    private BeforeContSeam() {
    }

    /** Installs {@code h} until the returned handle is closed. */
    public static AutoCloseable install(Hook h) {
        hook = h;
        return () -> hook = null;
    }

    /** Runs the installed hook, if any. */
    static void run(String domain, Path runDir, QmpMonitor monitor) {
        Hook h = hook;
        if (h != null) {
            h.beforeCont(domain, runDir, monitor);
        }
    }
}
