package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.JobInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/** Long-job commands: {@code domjobinfo} and {@code domjobabort}. */
final class JobCommands {
    private JobCommands() {
    }

    /** virsh's words for job types. */
    static String typeLabel(JobInfo.Type type) {
        return switch (type) {
            case NONE -> "None";
            case BOUNDED -> "Bounded";
            case UNBOUNDED -> "Unbounded";
            case COMPLETED -> "Completed";
            case FAILED -> "Failed";
            case CANCELLED -> "Cancelled";
        };
    }

    /** virsh's byte scaling: the largest binary unit that keeps the value at least 1. */
    static String capacity(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.3f %s", value, units[unit]);
    }

    /**
     * {@code domjobinfo DOMAIN}: virsh's {@code "%-17s %-12s"} lines. jvirt adds "Phase:" and
     * "Owner:" lines (the job model tracks both) when the job has them.
     */
    @Command(name = "domjobinfo", description = "domain job information")
    static final class DomjobinfoCmd extends JvirshCommand {
        @Parameters(paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            JobInfo job = attempt("failed to get job information of domain '" + name + "'", dom::jobInfo);
            if (json) {
                out().println(Json.write(toJson(job)));
                return;
            }
            PrintWriter out = out();
            out.println(String.format(Locale.ROOT, "%-17s %-12s", "Job type:", typeLabel(job.type())));
            if (job.type() == JobInfo.Type.NONE) {
                return;
            }
            out.println(String.format(Locale.ROOT, "%-17s %-12s", "Operation:", job.operation()));
            optional(out, "Phase:", job.phase());
            optional(out, "Owner:", job.owner());
            out.println(String.format(Locale.ROOT, "%-17s %-12d ms", "Time elapsed:", job.elapsed().toMillis()));
            if (job.dataTotal() != 0 || job.dataProcessed() != 0 || job.dataRemaining() != 0) {
                sized(out, "Data processed:", job.dataProcessed());
                sized(out, "Data remaining:", job.dataRemaining());
                sized(out, "Data total:", job.dataTotal());
            }
            if (job.memTotal() != 0 || job.memProcessed() != 0 || job.memRemaining() != 0) {
                sized(out, "Memory processed:", job.memProcessed());
                sized(out, "Memory remaining:", job.memRemaining());
                sized(out, "Memory total:", job.memTotal());
            }
            if (job.diskTotal() != 0 || job.diskProcessed() != 0 || job.diskRemaining() != 0) {
                sized(out, "File processed:", job.diskProcessed());
                sized(out, "File remaining:", job.diskRemaining());
                sized(out, "File total:", job.diskTotal());
            }
            optional(out, "Error message:", job.errorMessage());
        }

        private static void optional(PrintWriter out, String key, String value) {
            if (value != null && !value.isEmpty()) {
                out.println(String.format(Locale.ROOT, "%-17s %s", key, value));
            }
        }

        private static void sized(PrintWriter out, String key, long bytes) {
            out.println(String.format(Locale.ROOT, "%-17s %s", key, capacity(bytes)));
        }

        static Map<String, Object> toJson(JobInfo job) {
            Map<String, Object> o = Json.object();
            o.put("type", typeLabel(job.type()));
            o.put("operation", job.operation());
            o.put("phase", job.phase());
            o.put("owner", job.owner());
            o.put("elapsedMillis", job.elapsed().toMillis());
            o.put("dataTotal", job.dataTotal());
            o.put("dataProcessed", job.dataProcessed());
            o.put("dataRemaining", job.dataRemaining());
            o.put("memTotal", job.memTotal());
            o.put("memProcessed", job.memProcessed());
            o.put("memRemaining", job.memRemaining());
            o.put("diskTotal", job.diskTotal());
            o.put("diskProcessed", job.diskProcessed());
            o.put("diskRemaining", job.diskRemaining());
            o.put("errorMessage", job.errorMessage());
            return o;
        }
    }

    /** {@code domjobabort DOMAIN}: cancels the running long job; prints nothing on success. */
    @Command(name = "domjobabort", description = "abort active domain job")
    static final class DomjobabortCmd extends JvirshCommand {
        @Parameters(paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            attempt("Failed to abort the job of domain '" + name + "'", dom::abortJob);
        }
    }
}
