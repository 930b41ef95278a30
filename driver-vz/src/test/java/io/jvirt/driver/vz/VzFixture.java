package io.jvirt.driver.vz;

import io.jvirt.api.DomainEvent;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.vz.sim.SimControl;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.VirtUri;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** Opens a vz driver instance on the emulator for a test, and collects its events. */
final class VzFixture implements AutoCloseable {
    final VzDriver driver;
    final SimControl sim;
    final List<DomainEvent> events = new CopyOnWriteArrayList<>();

    VzFixture(String uri) {
        driver = (VzDriver) new VzDriverProvider().open(VirtUri.parse(uri), new DriverContext(events::add));
        sim = driver.unwrap(SimControl.class);
    }

    static String xml(String name, UUID uuid) {
        String mac = String.format("52:54:00:%02x:%02x:%02x", (uuid.hashCode() >> 16) & 0xff,
                (uuid.hashCode() >> 8) & 0xff, uuid.hashCode() & 0xff);
        return """
                <domain type='vz'>
                  <name>%s</name>
                  <uuid>%s</uuid>
                  <memory unit='KiB'>1048576</memory>
                  <currentMemory unit='KiB'>1048576</currentMemory>
                  <vcpu>2</vcpu>
                  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
                  <devices>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='/vz/%s/harddisk.hdd'/>
                      <target dev='sda' bus='sata'/>
                    </disk>
                    <interface type='bridge'>
                      <mac address='%s'/>
                      <source bridge='br0'/>
                      <target dev='vme0'/>
                    </interface>
                  </devices>
                </domain>
                """.formatted(name, uuid, name, mac);
    }

    static DomainDef def(String name) {
        return DomainXml.parse(xml(name, UUID.nameUUIDFromBytes(name.getBytes())));
    }

    DomainObj define(String name) {
        return driver.define(def(name));
    }

    DomainObj running(String name) {
        DomainObj d = define(name);
        driver.start(d);
        return d;
    }

    /** Waits until the event pump has applied everything the SDK sent so far. */
    void settle() {
        waitFor(Duration.ofSeconds(10), () -> sim.runningJobs() == 0 && driver.pumpBacklog() == 0);
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        waitFor(Duration.ofSeconds(10), () -> sim.runningJobs() == 0 && driver.pumpBacklog() == 0);
    }

    static void waitFor(Duration max, BooleanSupplier cond) {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + max);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    long count(UUID uuid, DomainEvent.Lifecycle kind) {
        return events.stream().filter(e -> e instanceof DomainEvent.LifecycleEvent l && l.kind() == kind
                && l.domainUuid().equals(uuid)).count();
    }

    @Override
    public void close() {
        driver.close();
    }
}
