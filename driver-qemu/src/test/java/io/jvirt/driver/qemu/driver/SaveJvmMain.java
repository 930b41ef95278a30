package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.JobInfo;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.QemuDriver;
import io.jvirt.driver.qemu.testutil.Embed;

import java.nio.file.Path;

/**
 * A separate driver JVM for the save-recovery test: starts guest {@code sr}, begins a save slowed
 * to 16 KiB/s to {@code args[1]}, prints READY once jobInfo shows progress, then idles until killed.
 */
public final class SaveJvmMain {
    private SaveJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Path image = Path.of(args[1]);
        Connection c = Virt.open(Embed.uri(root));
        c.unwrap(QemuDriver.class).setSaveBandwidth(16 * 1024);
        Domain d = c.defineDomain(Embed.tinyXml("sr"));
        d.start();
        Thread.ofPlatform().daemon().start(() -> d.save(image));
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            JobInfo info = d.jobInfo();
            if (info.type() == JobInfo.Type.BOUNDED && info.memProcessed() > 0) {
                System.out.println("READY");
                System.out.flush();
                break;
            }
            Thread.sleep(20);
        }
        Thread.sleep(120_000); // killed by the test long before
    }
}
