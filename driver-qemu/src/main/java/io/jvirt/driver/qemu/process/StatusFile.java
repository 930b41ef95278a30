package io.jvirt.driver.qemu.process;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.driver.qemu.internal.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A running domain's status file ({@code RUN/NAME.status.json}): what a new driver instance needs
 * to find and re-attach to its QEMU. Written atomically on every change.
 *
 * @param name        domain name
 * @param uuid        domain UUID
 * @param id          running id
 * @param pid         QEMU's pid
 * @param startTicks  QEMU's start time from {@code /proc/PID/stat} (tells a reused pid apart)
 * @param binary      the QEMU binary
 * @param monitor     the QMP socket
 * @param agentSocket the guest agent's socket, or null
 * @param startedAt   when it started (ISO-8601)
 * @param state       the domain state's name
 * @param reason      the state reason's name
 * @param liveXml     the running definition
 * @param job         the job in progress that must be recovered ({@code api}, {@code phase}), or null
 * @param tainted     whether monitor passthrough was used
 * @param lockState   the lock manager's state returned by the last release (while paused), or null
 */
public record StatusFile(String name, String uuid, int id, long pid, long startTicks, String binary, String monitor,
                         String agentSocket, String startedAt, String state, String reason, String liveXml,
                         Map<String, String> job, boolean tainted, String lockState) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Writes this status to {@code file} atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }

    /** Reads a status file. */
    public static StatusFile read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), StatusFile.class);
    }

    /** A copy with another state. */
    public StatusFile withState(String newState, String newReason) {
        return new StatusFile(name, uuid, id, pid, startTicks, binary, monitor, agentSocket, startedAt, newState,
                newReason, liveXml, job, tainted, lockState);
    }

    /** A copy with another job record. */
    public StatusFile withJob(Map<String, String> newJob) {
        return new StatusFile(name, uuid, id, pid, startTicks, binary, monitor, agentSocket, startedAt, state, reason,
                liveXml, newJob, tainted, lockState);
    }

    /** A copy marked tainted. */
    public StatusFile withTainted() {
        return new StatusFile(name, uuid, id, pid, startTicks, binary, monitor, agentSocket, startedAt, state, reason,
                liveXml, job, true, lockState);
    }

    /** A copy with another lock state (null: none kept). */
    public StatusFile withLockState(String newLockState) {
        return new StatusFile(name, uuid, id, pid, startTicks, binary, monitor, agentSocket, startedAt, state, reason,
                liveXml, job, tainted, newLockState);
    }
}
