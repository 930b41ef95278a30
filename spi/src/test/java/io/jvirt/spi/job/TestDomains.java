package io.jvirt.spi.job;

import io.jvirt.api.DomainState;
import io.jvirt.api.StateReason;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.DomainObj;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Domain objects and small thread helpers for the job tests. */
final class TestDomains {
    private TestDomains() {
    }

    /** A running domain with the given wait timeout. */
    static DomainObj running(String name, Duration waitTimeout) {
        DomainObj dom = new DomainObj(def(name), true,
                JobConfig.DEFAULTS.withWaitTimeout(waitTimeout));
        try (var l = dom.locked()) {
            dom.setStatus(DomainState.RUNNING, StateReason.BOOTED);
        }
        return dom;
    }

    /** A minimal definition. */
    static DomainDef def(String name) {
        return new DomainDef("test", name, UUID.randomUUID(), null, null, 1024, 1024, 1,
                new DomainDef.OsDef("hvm", null, null, null, null, null, List.of()), List.of(), null, null,
                "destroy", "restart", "destroy", null, List.of());
    }

    static DomainObj running(String name) {
        return running(name, Duration.ofSeconds(5));
    }

    /** Runs {@code c} on a new virtual thread. */
    static <T> CompletableFuture<T> async(Callable<T> c) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().name("worker").start(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** Waits up to 5 s for {@code cond}. */
    static void eventually(BooleanSupplier cond, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    /** The number of callers waiting for a job on {@code dom}. */
    static int waiting(DomainObj dom) {
        try (var l = dom.locked()) {
            return dom.jobs().waiting();
        }
    }
}
