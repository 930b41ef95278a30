package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;

/** How the TCK reaches the test driver: a fresh {@code test:///default} host per connection. */
final class TestDriverTck {
    private TestDriverTck() {
    }

    static Connection open() {
        return Virt.open("test:///default");
    }

    static String domainXml(String name) {
        return """
                <domain type='test'>
                  <name>%s</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64'>hvm</type>
                  </os>
                </domain>
                """.formatted(name);
    }
}
