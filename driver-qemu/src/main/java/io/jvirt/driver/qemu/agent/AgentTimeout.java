package io.jvirt.driver.qemu.agent;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import java.time.Duration;
import java.util.Objects;

/**
 * How long an agent command waits for its reply, with libvirt's meanings of the special values.
 *
 * <ul>
 *   <li>{@link #BLOCK} (libvirt {@code -2}): wait as long as it takes. jvirt never waits without
 *       bound, so this is a long but bounded wait ({@link #BLOCK_LIMIT}).</li>
 *   <li>{@link #DEFAULT} (libvirt {@code -1}): {@value #DEFAULT_SECONDS} seconds.</li>
 *   <li>{@link #NOWAIT} (libvirt {@code 0}): send the command and do not wait for a reply.</li>
 *   <li>{@link #SHUTDOWN}: {@value #SHUTDOWN_SECONDS} seconds, used by guest-shutdown.</li>
 *   <li>any positive number of seconds.</li>
 * </ul>
 *
 * @param duration how long to wait for the reply; {@link Duration#ZERO} means do not wait
 * @param label  how the timeout is shown in messages ("default", "5s", ...)
 */
public record AgentTimeout(Duration duration, String label) {
    /** Seconds of {@link #DEFAULT}. */
    public static final int DEFAULT_SECONDS = 5;
    /** Seconds of {@link #SHUTDOWN}. */
    public static final int SHUTDOWN_SECONDS = 60;
    /** The bound put on {@link #BLOCK}: jvirt has no unbounded waits. */
    public static final Duration BLOCK_LIMIT = Duration.ofMinutes(30);

    /** Wait "forever" (bounded by {@link #BLOCK_LIMIT}). */
    public static final AgentTimeout BLOCK = new AgentTimeout(BLOCK_LIMIT, "block");
    /** The default: {@value #DEFAULT_SECONDS} seconds. */
    public static final AgentTimeout DEFAULT = new AgentTimeout(Duration.ofSeconds(DEFAULT_SECONDS), "default");
    /** Send without waiting for a reply. */
    public static final AgentTimeout NOWAIT = new AgentTimeout(Duration.ZERO, "nowait");
    /** The timeout of guest-shutdown. */
    public static final AgentTimeout SHUTDOWN = new AgentTimeout(Duration.ofSeconds(SHUTDOWN_SECONDS), "shutdown");

    public AgentTimeout {
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(label, "label");
        if (duration.isNegative()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "agent timeout must not be negative: " + duration);
        }
    }

    /** A timeout of {@code wait}; zero means {@link #NOWAIT}. */
    public static AgentTimeout of(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        if (wait.isZero()) {
            return NOWAIT;
        }
        if (wait.isNegative()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "agent timeout must not be negative: " + wait);
        }
        return new AgentTimeout(wait.compareTo(BLOCK_LIMIT) > 0 ? BLOCK_LIMIT : wait, wait.toMillis() + "ms");
    }

    /**
     * Maps libvirt's integer timeout ({@code virDomainQemuAgentCommand}): {@code -2} block,
     * {@code -1} default, {@code 0} no wait, a positive number of seconds; anything else is
     * {@code INVALID_ARG}.
     */
    public static AgentTimeout ofLibvirtSeconds(int seconds) {
        return switch (seconds) {
            case -2 -> BLOCK;
            case -1 -> DEFAULT;
            case 0 -> NOWAIT;
            default -> {
                if (seconds < 0) {
                    throw new VirtException(ErrorCode.INVALID_ARG,
                            "agent timeout must be -2 (block), -1 (default), 0 (no wait) or positive seconds, not " + seconds);
                }
                yield new AgentTimeout(Duration.ofSeconds(seconds), seconds + "s");
            }
        };
    }

    /**
     * Maps the public API's {@code Duration} argument: {@code null} is {@link #DEFAULT}, zero
     * {@link #NOWAIT}, a negative duration {@link #BLOCK}, anything else that long.
     */
    public static AgentTimeout ofApi(Duration timeout) {
        if (timeout == null) {
            return DEFAULT;
        }
        if (timeout.isNegative()) {
            return BLOCK;
        }
        return of(timeout);
    }

    /** Whether the command is sent without waiting for its reply. */
    public boolean noWait() {
        return duration.isZero();
    }

    @Override
    public String toString() {
        return label.equals(duration.toMillis() + "ms") ? label : label + " (" + duration.toMillis() + "ms)";
    }
}
