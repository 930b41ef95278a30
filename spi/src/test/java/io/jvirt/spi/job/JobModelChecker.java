package io.jvirt.spi.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An exhaustive-interleaving checker of the job state machine. Each script is a caller's sequence
 * of job operations; every operation is one atomic step (as under the domain lock), and an
 * acquisition is enabled only when the admission rules admit it (a waiting caller re-checks after
 * every wake-up, so "disabled until admitted" is exactly its behaviour). The checker explores every
 * interleaving of the scripts (with a visited set) and asserts the invariants in every reachable
 * state and on every transition, and that no reachable state is stuck (a deadlock).
 */
final class JobModelChecker {

    /** The admission rules under test (the production ones, or a broken variant). */
    interface Rules {
        JobRules.Block normal(JobKind kind, boolean asyncRunning, int mask, boolean normalHeld);

        JobRules.Block nested(boolean normalHeld, boolean asyncRunning, int mask);

        JobRules.Block async(boolean asyncRunning, boolean normalHeld);

        JobRules.Block agent(boolean agentHeld);
    }

    /** The rules {@link DomainJobs} uses. */
    static final Rules PRODUCTION = new Rules() {
        public JobRules.Block normal(JobKind kind, boolean asyncRunning, int mask, boolean normalHeld) {
            return JobRules.normal(kind, asyncRunning, mask, normalHeld);
        }

        public JobRules.Block nested(boolean normalHeld, boolean asyncRunning, int mask) {
            return JobRules.nested(normalHeld);
        }

        public JobRules.Block async(boolean asyncRunning, boolean normalHeld) {
            return JobRules.async(asyncRunning, normalHeld);
        }

        public JobRules.Block agent(boolean agentHeld) {
            return JobRules.agent(agentHeld);
        }
    };

    /** One operation of a script. */
    record Op(Type type, JobKind kind, AsyncJobKind asyncKind, int mask) {
        enum Type { BEGIN, END, BEGIN_ASYNC, SET_MASK, NESTED, NESTED_END, PAUSE, ASYNC_END, AGENT, AGENT_END,
            CANCEL_FOR_DESTROY, ABORT_ASYNC }

        static Op of(Type t) {
            return new Op(t, null, null, 0);
        }

        static Op begin(JobKind k) {
            return new Op(Type.BEGIN, k, null, 0);
        }

        static Op beginAsync(AsyncJobKind k) {
            return new Op(Type.BEGIN_ASYNC, null, k, 0);
        }

        static Op setMask(JobKind... kinds) {
            return new Op(Type.SET_MASK, null, null, JobKind.bits(Set.of(kinds)));
        }

        @Override
        public String toString() {
            return type + (kind != null ? "(" + kind + ")" : "") + (asyncKind != null ? "(" + asyncKind + ")" : "")
                    + (type == Type.SET_MASK ? "(" + JobKind.set(mask) + ")" : "");
        }
    }

    /** The outcome of a check. */
    record Result(int states, int transitions, String violation) {
    }

    // state layout: per script [pc, normalKind+1 (0 none), nested, admittedGen, async, agent], then [mask, cancelled, gen]
    private static final int PER = 6;

    private final Rules rules;
    private final List<List<Op>> scripts;
    private final Set<String> visited = new HashSet<>();
    private int transitions;
    private String violation;
    /** Set by {@link #step} when the op failed (the caller skipped ahead), as the real call throws. */
    private boolean failed;
    private static final int ALWAYS = JobKind.bits(AsyncJobKind.ALWAYS_ALLOWED);

    private JobModelChecker(Rules rules, List<List<Op>> scripts) {
        this.rules = rules;
        this.scripts = scripts;
    }

    /** Explores every interleaving of {@code scripts} under {@code rules}. */
    static Result check(Rules rules, List<List<Op>> scripts) {
        JobModelChecker c = new JobModelChecker(rules, scripts);
        int[] init = new int[scripts.size() * PER + 3];
        c.dfs(init, new ArrayList<>());
        return new Result(c.visited.size(), c.transitions, c.violation);
    }

    private void dfs(int[] s, List<String> trace) {
        if (violation != null || !visited.add(Arrays.toString(s))) {
            return;
        }
        String bad = invariant(s);
        if (bad != null) {
            violation = bad + " after " + trace;
            return;
        }
        boolean any = false;
        boolean allDone = true;
        for (int i = 0; i < scripts.size(); i++) {
            if (s[i * PER] >= scripts.get(i).size()) {
                continue;
            }
            allDone = false;
            int[] next = s.clone();
            String err = step(next, i);
            if (err != null) {
                violation = err + " after " + trace + " at step of script " + i;
                return;
            }
            if (next[i * PER] == s[i * PER] && Arrays.equals(next, s)) {
                continue; // disabled: waits
            }
            any = true;
            transitions++;
            trace.add(i + ":" + scripts.get(i).get(s[i * PER]));
            dfs(next, trace);
            trace.removeLast();
            if (violation != null) {
                return;
            }
        }
        if (!allDone && !any) {
            violation = "deadlock: no caller can proceed after " + trace;
        }
        if (allDone) {
            for (int i = 0; i < scripts.size(); i++) {
                if (s[i * PER + 1] != 0 || s[i * PER + 4] != 0 || s[i * PER + 5] != 0) {
                    violation = "script " + i + " ended holding a job after " + trace;
                }
            }
        }
    }

    /** Applies script {@code i}'s next op to {@code s} in place; leaves it unchanged when the op must wait. */
    private String step(int[] s, int i) {
        failed = false;
        int b = i * PER;
        int g = scripts.size() * PER;
        List<Op> script = scripts.get(i);
        Op op = script.get(s[b]);
        boolean asyncRunning = count(s, 4) > 0;
        boolean normalHeld = count(s, 1) > 0;
        int mask = s[g];
        boolean cancelled = s[g + 1] != 0;
        switch (op.type()) {
            case BEGIN -> {
                if (rules.normal(op.kind(), asyncRunning, mask, normalHeld) != JobRules.Block.NONE) {
                    return null;
                }
                if (asyncRunning && (mask & op.kind().bit) == 0) {
                    return "a " + op.kind() + " job was admitted while an async job with mask " + JobKind.set(mask) + " runs";
                }
                s[b + 1] = op.kind().ordinal() + 1;
                s[b + 2] = 0;
                s[b + 3] = s[g + 2];
                s[b]++;
            }
            case END, NESTED_END -> {
                s[b + 1] = 0;
                s[b + 2] = 0;
                s[b + 3] = 0;
                s[b]++;
            }
            case BEGIN_ASYNC -> {
                if (rules.async(asyncRunning, normalHeld) != JobRules.Block.NONE) {
                    return null;
                }
                s[b + 4] = 1;
                s[g] = op.asyncKind().defaultBits() | ALWAYS;
                s[g + 1] = 0;
                s[g + 2]++;
                s[b]++;
            }
            case SET_MASK -> {
                s[g] = op.mask() | ALWAYS;
                s[b]++;
            }
            case NESTED -> {
                if (s[b + 4] == 0 || cancelled) {
                    s[b] = indexAfter(script, s[b], Op.Type.NESTED_END); // fails: skips to after its end
                    failed = true;
                    return null;
                }
                if (rules.nested(normalHeld, asyncRunning, mask) != JobRules.Block.NONE) {
                    return null;
                }
                s[b + 1] = JobKind.NESTED.ordinal() + 1;
                s[b + 2] = 1;
                s[b + 3] = s[g + 2];
                s[b]++;
            }
            case PAUSE -> {
                if (cancelled) {
                    s[b] = indexAfter(script, s[b], Op.Type.ASYNC_END) - 1; // fails: goes to its end
                    failed = true;
                } else {
                    s[b]++;
                }
            }
            case ASYNC_END -> {
                s[b + 4] = 0;
                s[g + 1] = 0;
                s[b]++;
            }
            case AGENT -> {
                if (s[b + 1] != 0) {
                    return "script holds a normal job and asked for an agent job (the real code throws)";
                }
                if (rules.agent(count(s, 5) > 0) != JobRules.Block.NONE) {
                    return null;
                }
                s[b + 5] = 1;
                s[b]++;
            }
            case AGENT_END -> {
                s[b + 5] = 0;
                s[b]++;
            }
            case CANCEL_FOR_DESTROY -> {
                if (asyncRunning) {
                    s[g + 1] = 1;
                }
                s[b]++;
            }
            case ABORT_ASYNC -> {
                if (s[b + 1] != JobKind.ABORT.ordinal() + 1) {
                    return "abort without an ABORT job";
                }
                if (asyncRunning) {
                    s[g + 1] = 1;
                }
                s[b]++;
            }
            default -> throw new IllegalStateException(op.toString());
        }
        return null;
    }

    /** What one step of a script does in a state. */
    enum Outcome { DONE, FAILED, BLOCKED }

    /** A checker for stepping {@code scripts} one op at a time (see {@link #tryStep}). */
    static JobModelChecker stepper(Rules rules, List<List<Op>> scripts) {
        return new JobModelChecker(rules, scripts);
    }

    /** The initial state of a stepper's scripts. */
    int[] initial() {
        return new int[scripts.size() * PER + 3];
    }

    /** Whether script {@code i} has run all its ops in {@code s}. */
    boolean done(int[] s, int i) {
        return s[i * PER] >= scripts.get(i).size();
    }

    /** The next op of script {@code i}. */
    Op next(int[] s, int i) {
        return scripts.get(i).get(s[i * PER]);
    }

    /** Applies script {@code i}'s next op to {@code s} in place (unchanged when blocked); an invariant breach throws. */
    Outcome tryStep(int[] s, int i) {
        int[] before = s.clone();
        String err = step(s, i);
        if (err == null) {
            err = invariant(s);
        }
        if (err != null) {
            throw new AssertionError(err);
        }
        if (Arrays.equals(before, s)) {
            return Outcome.BLOCKED;
        }
        return failed ? Outcome.FAILED : Outcome.DONE;
    }

    private static int indexAfter(List<Op> script, int from, Op.Type type) {
        for (int k = from; k < script.size(); k++) {
            if (script.get(k).type() == type) {
                return k + 1;
            }
        }
        return script.size();
    }

    private int count(int[] s, int field) {
        int n = 0;
        for (int i = 0; i < scripts.size(); i++) {
            if (s[i * PER + field] != 0) {
                n++;
            }
        }
        return n;
    }

    private String invariant(int[] s) {
        int g = scripts.size() * PER;
        if (count(s, 1) > 1) {
            return "two normal jobs held at once: " + Arrays.toString(s);
        }
        if (count(s, 4) > 1) {
            return "two async jobs held at once: " + Arrays.toString(s);
        }
        if (count(s, 5) > 1) {
            return "two agent jobs held at once: " + Arrays.toString(s);
        }
        for (int i = 0; i < scripts.size(); i++) {
            int b = i * PER;
            if (s[b + 1] != 0 && s[b + 5] != 0) {
                return "script " + i + " holds a normal and an agent job";
            }
            if (s[b + 1] != 0 && s[b + 2] == 0 && count(s, 4) > 0 && s[b + 3] != s[g + 2]) {
                return "an async job began while script " + i + "'s normal job was held";
            }
            if (s[b + 2] != 0 && s[b + 4] == 0) {
                return "script " + i + " holds a nested job without its async job";
            }
        }
        return null;
    }
}
