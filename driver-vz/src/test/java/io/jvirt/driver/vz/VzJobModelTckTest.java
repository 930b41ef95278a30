package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.driver.vz.sim.SimControl;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.tck.job.JobModelSuite;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The job model's TCK on the vz driver over its SDK emulator. The long async job is a snapshot
 * create that the emulator makes last {@link #LONG_JOB} + 2 s ({@code latency.snapshot}); the vz
 * driver runs it as an async {@code SNAPSHOT} job with the default mask, abortable, failed by a
 * destroy. The "monitor call" is the vz driver's own: a group-2 {@code setMemory} whose SDK job the
 * emulator keeps running for {@link #SDK_CALL}, waited on by the driver with the domain lock dropped.
 */
class VzJobModelTckTest extends JobModelSuite {
    /** How long the emulated SDK job behind the "monitor call" runs. */
    private static final Duration SDK_CALL = Duration.ofSeconds(3);
    private static final AtomicInteger SNAPSHOTS = new AtomicInteger();

    @Override
    protected Connection openConnection(Duration jobWaitTimeout) {
        return Virt.open("vz:///sim?jobWaitTimeoutMs=" + jobWaitTimeout.toMillis()
                + "&latency.snapshot=" + (LONG_JOB.toMillis() + 2000));
    }

    @Override
    protected Domain runningDomain(Connection conn, String name) {
        Domain dom = conn.defineDomain(VzTck.domainXml(name));
        dom.start();
        return dom;
    }

    @Override
    protected CompletableFuture<?> startLongAsyncJob(Domain dom) {
        String xml = "<domainsnapshot><name>tck-long-" + SNAPSHOTS.incrementAndGet() + "</name></domainsnapshot>";
        return CompletableFuture.runAsync(() -> dom.createSnapshot(xml),
                r -> Thread.ofVirtual().name("tck-snapshot-" + dom.name()).start(r));
    }

    @Override
    protected DomainObj domainObject(Connection conn, Domain dom) {
        return conn.unwrap(HypervisorDriver.class).domains().byUuid(dom.uuid());
    }

    /**
     * Blocks in a real SDK wait: {@code setMemory} (group 2: a MODIFY job, the SDK job awaited with
     * the domain lock dropped) on an SDK job that runs {@link #SDK_CALL}. {@code entered} opens once
     * the SDK job runs; the call ends when the emulated job does, and fails if {@code release}
     * had not opened by then (the suite's checks would not have run during the SDK wait).
     */
    @Override
    protected void simulateMonitorCall(Connection conn, Domain dom, CountDownLatch entered, CountDownLatch release)
            throws Exception {
        SimControl sim = conn.unwrap(SimControl.class);
        sim.setLatency("memory", SDK_CALL);
        long kib = dom.info().memoryKiB();
        Thread watcher = Thread.ofVirtual().name("tck-sdk-watch").start(() -> {
            long end = System.nanoTime() + SDK_CALL.toNanos();
            while (sim.runningJobs() == 0 && System.nanoTime() < end) {
                Thread.onSpinWait();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (sim.runningJobs() > 0) {
                entered.countDown();
            }
        });
        try {
            dom.setMemory(kib);
            if (release.getCount() > 0) {
                // the suite's checks ran (or not) after the SDK job had ended: they proved nothing
                throw new IllegalStateException("the emulated SDK call ended after " + SDK_CALL.toMillis()
                        + " ms, before the suite released it");
            }
        } finally {
            watcher.interrupt();
            sim.clearFaults();
        }
    }
}
