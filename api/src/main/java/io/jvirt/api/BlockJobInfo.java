package io.jvirt.api;

/**
 * A disk's running block job, as {@code virsh blockjob --info} shows it.
 *
 * @param disk      target name ({@code vda})
 * @param type      {@code "copy"}, {@code "commit"}, {@code "pull"}, …
 * @param cur       bytes done
 * @param end       bytes in all
 * @param ready     whether the job can be pivoted or completed
 * @param bandwidth bandwidth cap in bytes/s (0 = unlimited)
 */
public record BlockJobInfo(String disk, String type, long cur, long end, boolean ready, long bandwidth) {
}
