package io.jvirt.spi.job;

import io.jvirt.spi.job.JobModelChecker.Op;
import io.jvirt.spi.job.JobModelChecker.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exhaustive interleavings of 2 and 3 callers against the job rules, and proof that it catches broken rules. */
@Timeout(120)
class JobModelCheckTest {
    private static final List<Op> SAVE = List.of(Op.beginAsync(AsyncJobKind.SAVE), Op.of(Op.Type.NESTED),
            Op.of(Op.Type.NESTED_END), Op.of(Op.Type.PAUSE), Op.of(Op.Type.NESTED), Op.of(Op.Type.NESTED_END),
            Op.of(Op.Type.ASYNC_END));
    private static final List<Op> MIGRATE = List.of(Op.beginAsync(AsyncJobKind.MIGRATION_OUT), Op.of(Op.Type.NESTED),
            Op.of(Op.Type.NESTED_END), Op.of(Op.Type.PAUSE), Op.setMask(), Op.of(Op.Type.NESTED),
            Op.of(Op.Type.NESTED_END), Op.of(Op.Type.ASYNC_END));
    private static final List<Op> DUMP = List.of(Op.beginAsync(AsyncJobKind.DUMP), Op.of(Op.Type.NESTED),
            Op.of(Op.Type.NESTED_END), Op.of(Op.Type.ASYNC_END));
    private static final List<Op> MODIFY = List.of(Op.begin(JobKind.MODIFY), Op.of(Op.Type.END));
    private static final List<Op> SUSPEND = List.of(Op.begin(JobKind.SUSPEND), Op.of(Op.Type.END));
    private static final List<Op> QUERY_THEN_AGENT = List.of(Op.begin(JobKind.QUERY), Op.of(Op.Type.END),
            Op.of(Op.Type.AGENT), Op.of(Op.Type.AGENT_END));
    private static final List<Op> AGENT = List.of(Op.of(Op.Type.AGENT), Op.of(Op.Type.AGENT_END));
    private static final List<Op> DESTROY = List.of(Op.of(Op.Type.CANCEL_FOR_DESTROY), Op.begin(JobKind.DESTROY),
            Op.of(Op.Type.END));
    private static final List<Op> ABORT = List.of(Op.begin(JobKind.ABORT), Op.of(Op.Type.ABORT_ASYNC),
            Op.of(Op.Type.END));
    private static final List<Op> MIGRATION_OP = List.of(Op.begin(JobKind.MIGRATION_OP), Op.of(Op.Type.END));

    private static final List<List<Op>> ALL = List.of(SAVE, MIGRATE, DUMP, MODIFY, SUSPEND, QUERY_THEN_AGENT, AGENT,
            DESTROY, ABORT, MIGRATION_OP);

    /** The scripts the checks combine. */
    static List<List<Op>> scripts() {
        return ALL;
    }

    /** Every pair and every triple (with repetition) of the scripts above. */
    private static List<List<List<Op>>> combinations() {
        List<List<List<Op>>> out = new ArrayList<>();
        for (int a = 0; a < ALL.size(); a++) {
            for (int b = a; b < ALL.size(); b++) {
                out.add(List.of(ALL.get(a), ALL.get(b)));
                for (int c = b; c < ALL.size(); c++) {
                    out.add(List.of(ALL.get(a), ALL.get(b), ALL.get(c)));
                }
            }
        }
        return out;
    }

    private static String checkAll(JobModelChecker.Rules rules, int[] statesOut) {
        int states = 0;
        for (List<List<Op>> scripts : combinations()) {
            Result r = JobModelChecker.check(rules, scripts);
            states += r.states();
            if (r.violation() != null) {
                return r.violation() + " (scripts " + scripts + ")";
            }
        }
        statesOut[0] = states;
        return null;
    }

    @Test
    void productionRulesHoldInEveryInterleaving() {
        int[] states = new int[1];
        assertNull(checkAll(JobModelChecker.PRODUCTION, states));
        assertTrue(states[0] > 10_000, "explored only " + states[0] + " states");
        System.out.println("job model check: " + combinations().size() + " script combinations, " + states[0] + " states");
    }

    @Test
    void brokenMaskRuleIsCaught() {
        JobModelChecker.Rules ignoresMask = new Delegate() {
            @Override
            public JobRules.Block normal(JobKind kind, boolean asyncRunning, int mask, boolean normalHeld) {
                return JobRules.normal(kind, false, 0, normalHeld);
            }
        };
        String v = checkAll(ignoresMask, new int[1]);
        assertNotNull(v);
        assertTrue(v.contains("was admitted while an async job"), v);
    }

    @Test
    void nestedJobThatChecksTheMaskDeadlocksAndIsCaught() {
        JobModelChecker.Rules guessing = new Delegate() {
            @Override
            public JobRules.Block nested(boolean normalHeld, boolean asyncRunning, int mask) {
                return JobRules.normal(JobKind.NESTED, asyncRunning, mask, normalHeld);
            }
        };
        String v = checkAll(guessing, new int[1]);
        assertNotNull(v);
        assertTrue(v.startsWith("deadlock"), v);
    }

    @Test
    void asyncJobThatIgnoresTheNormalJobIsCaught() {
        JobModelChecker.Rules eager = new Delegate() {
            @Override
            public JobRules.Block async(boolean asyncRunning, boolean normalHeld) {
                return JobRules.async(asyncRunning, false);
            }
        };
        String v = checkAll(eager, new int[1]);
        assertNotNull(v);
        assertTrue(v.contains("async job began while") || v.contains("two normal jobs"), v);
    }

    @Test
    void agentJobsThatDoNotSerialiseAreCaught() {
        JobModelChecker.Rules loose = new Delegate() {
            @Override
            public JobRules.Block agent(boolean agentHeld) {
                return JobRules.Block.NONE;
            }
        };
        String v = checkAll(loose, new int[1]);
        assertNotNull(v);
        assertTrue(v.contains("two agent jobs"), v);
    }

    /** The production rules, for overriding one of them. */
    private static class Delegate implements JobModelChecker.Rules {
        public JobRules.Block normal(JobKind kind, boolean asyncRunning, int mask, boolean normalHeld) {
            return JobModelChecker.PRODUCTION.normal(kind, asyncRunning, mask, normalHeld);
        }

        public JobRules.Block nested(boolean normalHeld, boolean asyncRunning, int mask) {
            return JobModelChecker.PRODUCTION.nested(normalHeld, asyncRunning, mask);
        }

        public JobRules.Block async(boolean asyncRunning, boolean normalHeld) {
            return JobModelChecker.PRODUCTION.async(asyncRunning, normalHeld);
        }

        public JobRules.Block agent(boolean agentHeld) {
            return JobModelChecker.PRODUCTION.agent(agentHeld);
        }
    }
}
