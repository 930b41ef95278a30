package io.jvirt.spi.job;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.JobModelChecker.Op;
import io.jvirt.spi.job.JobModelChecker.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the model checker's scripts against the real {@link DomainJobs}, one thread per script, in
 * random interleavings chosen step by step, and checks that every real call is admitted, waits or
 * fails exactly when the model says so — so the exhaustively checked model is the implementation's.
 */
class JobModelConformanceTest {
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("jvirt.conformance.seconds", 4));

    /** Counts calls that ran under the domain lock, in lock order. */
    private static final AtomicLong SEQ = new AtomicLong();

    /** What a worker's call did, and its place in lock order (-1 for calls that end a job). */
    private record Res(String text, long seq) {
    }

    /** One script's thread: runs the ops it is given against the real job state. */
    private static final class Worker implements AutoCloseable {
        final BlockingQueue<Op> ops = new LinkedBlockingQueue<>();
        final BlockingQueue<Res> results = new LinkedBlockingQueue<>();
        long seq;
        final Thread thread;
        final DomainObj dom;
        Job job;
        AsyncJob async;
        Job nested;
        AgentJob agent;

        Worker(DomainObj dom, int index) {
            this.dom = dom;
            this.thread = Thread.ofPlatform().daemon().name("script-" + index).start(this::loop);
        }

        private void loop() {
            try {
                while (true) {
                    Op op = ops.take();
                    String r;
                    seq = -1;
                    try {
                        run(op);
                        r = "DONE";
                    } catch (VirtException e) {
                        r = "FAILED " + e.code() + ": " + e.getMessage();
                    } catch (RuntimeException e) {
                        r = "ERROR " + e;
                    }
                    results.add(new Res(r, seq));
                }
            } catch (InterruptedException e) {
                // closed
            }
        }

        private void run(Op op) {
            switch (op.type()) {
                case END -> job.close();
                case NESTED_END -> nested.close();
                case ASYNC_END -> async.close();
                case AGENT_END -> agent.close();
                default -> {
                    try (var l = dom.locked()) {
                        try {
                            locked(op);
                        } finally {
                            seq = SEQ.incrementAndGet(); // still under the lock
                        }
                    }
                }
            }
        }

        private void locked(Op op) {
            switch (op.type()) {
                case BEGIN -> job = dom.jobs().begin(op.kind(), "s");
                case CANCEL_FOR_DESTROY -> job = dom.jobs().begin(JobKind.DESTROY, "destroy");
                case BEGIN_ASYNC -> async = dom.jobs().beginAsync(op.asyncKind(), "s");
                case SET_MASK -> async.setMask(JobKind.set(op.mask()));
                case NESTED -> nested = async.beginNested();
                case PAUSE -> async.pause(Duration.ofMillis(1));
                case AGENT -> agent = dom.jobs().beginAgent(AgentJobKind.QUERY, "s");
                case ABORT_ASYNC -> {
                    try {
                        dom.jobs().abortAsync("s");
                    } catch (VirtException e) {
                        if (e.code() != ErrorCode.OPERATION_INVALID) {
                            throw e;
                        }
                    }
                }
                default -> throw new IllegalStateException(op.toString());
            }
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    @Test
    @Timeout(120)
    void theImplementationFollowsTheModel() throws Exception {
        List<List<Op>> all = JobModelCheckTest.scripts();
        Random rnd = new Random(Long.getLong("jvirt.conformance.seed", System.nanoTime()));
        long end = System.nanoTime() + BUDGET_NANOS;
        int runs = 0;
        int steps = 0;
        int blocked = 0;
        while (System.nanoTime() < end || runs < 20) {
            int n = 2 + rnd.nextInt(2);
            List<List<Op>> scripts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                scripts.add(all.get(rnd.nextInt(all.size())));
            }
            int[] counts = runOnce(scripts, rnd);
            steps += counts[0];
            blocked += counts[1];
            runs++;
        }
        System.out.println("job model conformance: " + runs + " runs, " + steps + " steps, " + blocked + " waits");
        assertTrue(blocked > 0, "no interleaving made a caller wait");
    }

    /** One random interleaving; returns {steps, waits}. */
    private static int[] runOnce(List<List<Op>> scripts, Random rnd) throws Exception {
        JobModelChecker model = JobModelChecker.stepper(JobModelChecker.PRODUCTION, scripts);
        int[] s = model.initial();
        DomainObj dom = TestDomains.running("conformance", Duration.ofSeconds(30));
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < scripts.size(); i++) {
            workers.add(new Worker(dom, i));
        }
        boolean[] waiting = new boolean[scripts.size()];
        int steps = 0;
        int waits = 0;
        String trace = "";
        long[] consumed = {SEQ.get()};
        try {
            while (true) {
                List<Integer> ready = new ArrayList<>();
                for (int i = 0; i < scripts.size(); i++) {
                    if (!model.done(s, i) && !waiting[i]) {
                        ready.add(i);
                    }
                }
                if (ready.isEmpty()) {
                    for (boolean w : waiting) {
                        if (w) {
                            fail("stuck with callers waiting: " + trace);
                        }
                    }
                    break;
                }
                int i = ready.get(rnd.nextInt(ready.size()));
                Op op = model.next(s, i);
                trace += " " + i + ":" + op;
                Outcome expected = model.tryStep(s, i);
                if (op.type() == Op.Type.CANCEL_FOR_DESTROY) {
                    // the real begin(DESTROY) cancels and then takes the job: one call, two model steps
                    expected = model.tryStep(s, i);
                }
                steps++;
                workers.get(i).ops.add(op);
                // a cancel (destroy, abort) releases waiting nested jobs at the same moment as the
                // caller starts to wait: count only the waiters the model still has blocked
                int released = 0;
                for (int j = 0; j < scripts.size(); j++) {
                    if (waiting[j] && model.tryStep(s.clone(), j) != Outcome.BLOCKED) {
                        released++;
                    }
                }
                if (released > 0) {
                    // let the released waiters leave first, so the count below means the caller waits
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (SEQ.get() < consumed[0] + released && System.nanoTime() < until) {
                        Thread.sleep(0, 200_000);
                    }
                }
                Res res = awaitDoneOrWaiting(dom, workers.get(i), count(waiting) + 1 - released);
                String actual = res == null ? "BLOCKED" : res.text();
                if (res != null && res.seq() >= 0) {
                    consumed[0]++;
                }
                check(expected, actual, trace);
                if (expected == Outcome.BLOCKED) {
                    waiting[i] = true;
                    waits++;
                }
                // wake-ups: while the model admits some waiter, one of them must finish (the real
                // race decides which); they are replayed in lock order, each one must be admitted
                while (true) {
                    boolean anyAdmitted = false;
                    for (int j = 0; j < scripts.size(); j++) {
                        if (waiting[j] && model.tryStep(s.clone(), j) != Outcome.BLOCKED) {
                            anyAdmitted = true;
                        }
                    }
                    if (!anyAdmitted) {
                        break;
                    }
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (SEQ.get() == consumed[0] && System.nanoTime() < until) {
                        Thread.sleep(0, 200_000);
                    }
                    long target = SEQ.get();
                    if (target == consumed[0]) {
                        fail("the model admits a waiter but none finished in 10 s after" + trace);
                    }
                    List<Object[]> got = new ArrayList<>();
                    while (got.size() < target - consumed[0]) {
                        for (int k = 0; k < scripts.size(); k++) {
                            Res r = waiting[k] ? workers.get(k).results.poll() : null;
                            if (r != null) {
                                got.add(new Object[]{k, r});
                            }
                        }
                        if (System.nanoTime() > until) {
                            fail("lost results after" + trace);
                        }
                        Thread.onSpinWait();
                    }
                    got.sort(java.util.Comparator.comparingLong(o -> ((Res) o[1]).seq()));
                    for (Object[] o : got) {
                        int j = (Integer) o[0];
                        Res r = (Res) o[1];
                        trace += " (" + j + " woke: " + r.text() + ")";
                        Outcome now = model.tryStep(s, j);
                        if (now == Outcome.BLOCKED) {
                            fail("script " + j + " finished (" + r.text() + ") although the model says it waits, after"
                                    + trace);
                        }
                        check(now, r.text(), trace);
                        waiting[j] = false;
                        consumed[0]++;
                    }
                }
                Thread.sleep(1);
                if (SEQ.get() != consumed[0]) {
                    fail("a caller finished although the model says it waits, after" + trace);
                }
                assertEquals(count(waiting), TestDomains.waiting(dom), "waiters after" + trace);
            }
        } finally {
            workers.forEach(Worker::close);
        }
        return new int[]{steps, waits};
    }

    private static int count(boolean[] b) {
        int n = 0;
        for (boolean x : b) {
            n += x ? 1 : 0;
        }
        return n;
    }

    /** The worker's result, or null once the domain shows one more waiter. */
    private static Res awaitDoneOrWaiting(DomainObj dom, Worker w, int waitersIfBlocked) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
            Res r = w.results.poll(200, TimeUnit.MICROSECONDS);
            if (r != null) {
                return r;
            }
            if (TestDomains.waiting(dom) == waitersIfBlocked) {
                return null;
            }
        }
        return new Res("NEITHER done nor waiting after 10 s", -1);
    }

    private static void check(Outcome expected, String actual, String trace) {
        boolean ok = switch (expected) {
            case DONE -> "DONE".equals(actual);
            case BLOCKED -> "BLOCKED".equals(actual);
            case FAILED -> actual != null && actual.startsWith("FAILED");
        };
        if (!ok) {
            fail("model says " + expected + ", implementation did " + actual + " after" + trace);
        }
    }
}
