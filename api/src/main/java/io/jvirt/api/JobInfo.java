package io.jvirt.api;

import java.time.Duration;

/**
 * What {@code virsh domjobinfo} shows: the domain's running (or last completed) long job.
 *
 * @param type          whether a job runs, and how it ended
 * @param operation     what the job does ({@code "migration out"}, {@code "save"}, …; empty when none)
 * @param phase         the job's current phase, driver-defined (empty when none)
 * @param owner         who started it: API name and thread (empty when none)
 * @param elapsed       time since the job began
 * @param dataTotal     bytes to process in all
 * @param dataProcessed bytes processed
 * @param dataRemaining bytes left
 * @param memTotal      memory bytes in all
 * @param memProcessed  memory bytes processed
 * @param memRemaining  memory bytes left
 * @param diskTotal     disk bytes in all
 * @param diskProcessed disk bytes processed
 * @param diskRemaining disk bytes left
 * @param errorMessage  why a failed job failed (empty otherwise)
 */
public record JobInfo(Type type, String operation, String phase, String owner, Duration elapsed,
                      long dataTotal, long dataProcessed, long dataRemaining,
                      long memTotal, long memProcessed, long memRemaining,
                      long diskTotal, long diskProcessed, long diskRemaining,
                      String errorMessage) {

    /** libvirt's {@code virDomainJobType}. */
    public enum Type {
        NONE, BOUNDED, UNBOUNDED, COMPLETED, FAILED, CANCELLED
    }

    /** The info of a domain with no job. */
    public static JobInfo none() {
        return new JobInfo(Type.NONE, "", "", "", Duration.ZERO, 0, 0, 0, 0, 0, 0, 0, 0, 0, "");
    }
}
