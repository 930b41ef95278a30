package io.jvirt.spi.lock;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.FileDescriptor;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The locks of one domain (or one device change), as a driver drives them:
 * <ol>
 * <li>pre-exec window of the QEMU child: the child connects to each of {@link #connectPaths()}
 *     and hands the connected descriptors to the parent, which calls
 *     {@code acquire(null, EnumSet.of(REGISTER_ONLY, RESTRICT), fds)}; the child keeps the
 *     connections open across exec, so the owner's locks live as long as QEMU;</li>
 * <li>every time vCPUs start: {@code acquire(savedState, Set.of(), List.of())} before
 *     {@code cont}; if {@code cont} fails, {@link #release()};</li>
 * <li>every time vCPUs stop: {@link #release()} after {@code stop}; persist the returned
 *     state and give it to the next acquire (or to the migration cookie).</li>
 * </ol>
 * Closing a session drops the plugin's client-side state only; the owner's locks stay until
 * released or until the owner process dies.
 */
public interface LockSession extends AutoCloseable {
    /** The owner this session acts for. */
    LockOwner owner();

    /** The resources this session locks. */
    List<LockResource> resources();

    /**
     * The unix sockets the child process must connect to in its pre-exec window (the lock
     * daemon's socket for {@code lockd}); empty when the plugin needs none ({@code nop}).
     */
    List<Path> connectPaths();

    /**
     * The error for a child that could not connect to {@code socket}, one of
     * {@link #connectPaths()}, in its pre-exec window: the lock service is most likely not
     * running. Plugins name their service and how to start it; the default names the socket.
     *
     * @param reason the operating system's reason, e.g. {@code connect PATH: Connection refused}
     */
    default VirtException unreachable(Path socket, String reason) {
        return new VirtException(ErrorCode.OPERATION_FAILED, "the lock service at " + socket
                + " cannot be reached (" + reason + "); refusing to register domain '" + owner().name() + "'");
    }

    /**
     * Acquires every resource of the session, all or nothing.
     *
     * @param state       a state string returned by an earlier {@link #release()} or
     *                    {@link #inquire()} (possibly from the migration source), or {@code null}
     * @param flags       {@link AcquireFlag#REGISTER_ONLY} to only register the owner,
     *                    {@link AcquireFlag#RESTRICT} to restrict the child's connections
     * @param connections descriptors connected by the child to {@link #connectPaths()}, in the
     *                    same order; required with {@code REGISTER_ONLY}, else empty. The plugin
     *                    neither closes nor shuts them down: the caller closes its copies with a
     *                    plain {@code close(2)} (never through a socket object, whose
     *                    {@code shutdown()} would end the child's session too)
     * @throws io.jvirt.api.VirtException {@code RESOURCE_BUSY} "resource busy: DISK is locked by
     *         OWNER"; {@code OPERATION_FAILED} when the lock service is unreachable
     */
    void acquire(String state, Set<AcquireFlag> flags, List<FileDescriptor> connections);

    /**
     * Releases every resource the owner holds through this session's resources and returns the
     * state to persist (opaque; may be empty, never {@code null}).
     */
    String release();

    /** The current lock state (opaque, the same form {@link #release()} returns). */
    String inquire();

    @Override
    void close();
}
