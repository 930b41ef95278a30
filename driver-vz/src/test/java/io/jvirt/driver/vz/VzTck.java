package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;

/** How the TCK reaches the vz driver: a fresh emulated host ({@code vz:///sim}) per connection. */
final class VzTck {
    private VzTck() {
    }

    static Connection open() {
        return Virt.open("vz:///sim");
    }

    static String domainXml(String name) {
        return """
                <domain type='vz'>
                  <name>%s</name>
                  <memory unit='MiB'>512</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64'>hvm</type>
                  </os>
                  <devices>
                    <disk type='file' device='disk'>
                      <source file='/vz/%s/harddisk.hdd'/>
                      <target dev='sda' bus='sata'/>
                    </disk>
                  </devices>
                </domain>
                """.formatted(name, name);
    }
}
