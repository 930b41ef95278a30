package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.tck.job.JobModelSuite;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The job model's TCK on the test driver, whose {@code save} is slowed down to a long async job. */
class TestDriverJobModelTest extends JobModelSuite {
    @TempDir
    Path tmp;

    @Override
    protected Connection openConnection(Duration jobWaitTimeout) {
        return Virt.open("test:///default?saveDelayMs=" + (LONG_JOB.toMillis() + 2000) + "&jobWaitMs="
                + jobWaitTimeout.toMillis());
    }

    @Override
    protected Domain runningDomain(Connection conn, String name) {
        Domain dom = conn.defineDomain(TestDriverTck.domainXml(name));
        dom.start();
        return dom;
    }

    @Override
    protected CompletableFuture<?> startLongAsyncJob(Domain dom) {
        Path file = tmp.resolve(dom.name() + ".save");
        return CompletableFuture.runAsync(() -> dom.save(file),
                r -> Thread.ofVirtual().name("tck-save-" + dom.name()).start(r));
    }

    @Override
    protected DomainObj domainObject(Connection conn, Domain dom) {
        return conn.unwrap(HypervisorDriver.class).domains().byUuid(dom.uuid());
    }

    /** setAutostart takes a MODIFY job on this driver (suspend, the default, a SUSPEND job). */
    @Override
    protected void modify(Domain dom) {
        dom.setAutostart(true);
    }
}
