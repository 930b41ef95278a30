package io.jvirt.spi.process;

import java.nio.file.Path;
import java.util.List;

/**
 * Code that runs while a spawned process waits between fork and exec (see {@link Spawner}).
 * A lock manager uses it to register the process over a connection made <em>from</em> that
 * process, so that the registration belongs to the program about to run and lives exactly as
 * long as it does.
 */
public interface PreExecHook {
    /** A short name for errors ({@code lockd}, {@code sanlock}). */
    String name();

    /**
     * Unix sockets the waiting process must connect to; the connected descriptors are passed to
     * {@link #beforeExec} in the same order and kept open across exec. May be empty.
     */
    List<Path> sockets();

    /**
     * Runs after the sockets are connected and before exec. Return normally to let the process
     * go on; throw (a {@link io.jvirt.api.VirtException} naming why) to abort it: it then exits and
     * nothing is executed. The descriptors are the JVM's copies; {@link Spawner} closes them
     * (without {@code shutdown()}) once the process has exec'd or exited, so do not keep them.
     *
     * @param pid     the process id the program will have
     * @param sockets the connected descriptors, one per {@link #sockets()} entry
     */
    void beforeExec(long pid, List<PassedSocket> sockets);

    /**
     * Told that the spawn failed or was aborted after this hook's {@link #beforeExec} returned
     * normally (a later hook refused, exec failed): undo what it did. Must not throw.
     */
    default void aborted(long pid, Throwable cause) {
    }
}
