package io.jvirt.driver.qemu.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.testutil.Embed;
import io.jvirt.spi.DomainObj;
import io.jvirt.tck.job.JobModelSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TCK's JobModelSuite against qemu:///embed with firmware-only TCG guests; the long async job
 * is a save slowed to 32 KiB/s (a firmware-only guest's image is ~750 KB: ~20 s unless cancelled).
 */
class QemuTckJobModelTest extends JobModelSuite {
    @TempDir
    static Path root;
    @TempDir
    static Path images;

    /** The job wait timeout each connection asked for (applied to the domains it creates). */
    private final Map<Connection, Duration> waits = new ConcurrentHashMap<>();

    @AfterAll
    static void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    @Override
    protected Connection openConnection(Duration jobWaitTimeout) {
        Connection c = Virt.open(Embed.uri(root));
        QemuDriver drv = c.unwrap(QemuDriver.class);
        drv.setSaveBandwidth(32 * 1024);
        waits.put(c, jobWaitTimeout);
        return c;
    }

    @Override
    protected Domain runningDomain(Connection conn, String name) {
        // persistent: the destroy rule reads jobInfo() after the domain stopped
        Domain d = conn.defineDomain(QemuTck.firmwareXml(name));
        d.start();
        QemuDriver drv = conn.unwrap(QemuDriver.class);
        DomainObj obj = domainObject(conn, d);
        obj.jobs().setConfig(drv.host().config().jobs().withWaitTimeout(waits.get(conn)));
        return d;
    }

    @Override
    protected CompletableFuture<?> startLongAsyncJob(Domain dom) {
        Path file = images.resolve(dom.name() + ".save");
        return CompletableFuture.runAsync(() -> dom.save(file), r -> Thread.ofVirtual().start(r));
    }

    @Override
    protected DomainObj domainObject(Connection conn, Domain dom) {
        return conn.unwrap(QemuDriver.class).domains().byName(dom.name());
    }
}
