package io.jvirt.bench.jobmodel;

import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.AsyncJob;
import io.jvirt.spi.job.AsyncJobKind;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * JMH benchmarks of the job model: the cost of taking and ending a job (lock + begin + end +
 * unlock), with the bare lock as the same-run baseline; a query with and without a running async
 * job; and 8 threads on 1,000 domains with mixed queries and modifications.
 */
public class JobModelBenchmarks {

    static DomainObj runningDomain(String name) {
        DomainDef def = new DomainDef("test", name, UUID.randomUUID(), null, null, 1024, 1024, 1,
                new DomainDef.OsDef("hvm", null, null, null, null, null, List.of()), List.of(), null, null,
                "destroy", "restart", "destroy", null, List.of());
        DomainObj dom = new DomainObj(def, true);
        try (var l = dom.locked()) {
            dom.setStatus(DomainState.RUNNING, StateReason.BOOTED);
        }
        return dom;
    }

    /** One domain per thread, nobody else using it. */
    @State(Scope.Thread)
    public static class Own {
        DomainObj dom;

        @Setup(Level.Trial)
        public void setUp() {
            dom = runningDomain("bench-own-" + Thread.currentThread().threadId());
        }
    }

    /** One domain with a SAVE async job running for the whole trial. */
    @State(Scope.Benchmark)
    public static class UnderAsync {
        DomainObj dom;
        AsyncJob save;

        @Setup(Level.Trial)
        public void setUp() {
            dom = runningDomain("bench-async");
            try (var l = dom.locked()) {
                save = dom.jobs().beginAsync(AsyncJobKind.SAVE, "save");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            save.close();
        }
    }

    /** 1,000 domains shared by all threads. */
    @State(Scope.Benchmark)
    public static class Many {
        DomainObj[] doms;

        @Setup(Level.Trial)
        public void setUp() {
            doms = new DomainObj[1000];
            for (int i = 0; i < doms.length; i++) {
                doms[i] = runningDomain("bench-many-" + i);
            }
        }
    }

    /** Baseline: take and drop the domain lock only. */
    @Benchmark
    public boolean lockOnly(Own s) {
        try (var l = s.dom.locked()) {
            return s.dom.isActive();
        }
    }

    /** Uncontended: lock, begin a MODIFY job, end it, unlock. */
    @Benchmark
    public JobKind uncontendedJob(Own s) {
        try (var l = s.dom.locked(); Job job = s.dom.jobs().begin(JobKind.MODIFY, "bench")) {
            return job.kind();
        }
    }

    /** A QUERY job on a domain without an async job. */
    @Benchmark
    public JobKind queryIdle(Own s) {
        try (var l = s.dom.locked(); Job job = s.dom.jobs().begin(JobKind.QUERY, "bench")) {
            return job.kind();
        }
    }

    /** A QUERY job on a domain while a SAVE async job runs. */
    @Benchmark
    public JobKind queryUnderAsync(UnderAsync s) {
        try (var l = s.dom.locked(); Job job = s.dom.jobs().begin(JobKind.QUERY, "bench")) {
            return job.kind();
        }
    }

    /** 8 threads, 1,000 domains, 80% QUERY and 20% MODIFY jobs. */
    @Benchmark
    @Threads(8)
    public JobKind mixed8x1000(Many s) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        DomainObj dom = s.doms[r.nextInt(s.doms.length)];
        JobKind kind = r.nextInt(5) == 0 ? JobKind.MODIFY : JobKind.QUERY;
        try (var l = dom.locked(); Job job = dom.jobs().begin(kind, "bench")) {
            return job.kind();
        }
    }
}
