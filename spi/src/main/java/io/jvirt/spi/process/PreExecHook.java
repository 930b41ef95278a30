package io.jvirt.spi.process;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

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
     * The error to fail the spawn with when the waiting process could not connect to one of
     * {@link #sockets()} (the service behind it is most likely not running). The default names
     * the hook and the helper's reason; a lock manager names its service and how to start it.
     *
     * @param socket the socket that could not be connected
     * @param reason the helper's reason, e.g. {@code connect /run/x.sock: Connection refused}
     */
    default RuntimeException connectFailed(Path socket, String reason) {
        return new VirtException(ErrorCode.OPERATION_FAILED, "hook '" + name() + "': " + reason);
    }

    /**
     * Told that the spawn failed or was aborted after this hook's {@link #beforeExec} returned
     * normally (a later hook refused, exec failed): undo what it did. Must not throw.
     */
    default void aborted(long pid, Throwable cause) {
    }
}
