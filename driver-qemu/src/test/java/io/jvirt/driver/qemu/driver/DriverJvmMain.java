package io.jvirt.driver.qemu.driver;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.testutil.Embed;

import java.nio.file.Path;

/** A separate driver JVM for restart tests: starts N guests on an embed root, reports, then idles until killed. */
public final class DriverJvmMain {
    private DriverJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Connection c = Virt.open(Embed.uri(root));
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Domain d = c.defineDomain(Embed.tinyXml("g" + i));
            d.start();
            if (i % 2 == 1) {
                d.suspend();
            }
            ids.append(' ').append(d.name()).append('=').append(d.id());
        }
        System.out.println("READY" + ids);
        System.out.flush();
        Thread.sleep(120_000); // killed by the test long before
    }
}
