package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The runnable TCK's settings, from system properties (set by {@link TckMain}, or by hand with
 * {@code -D}): {@value #URI} is the connection URI, {@value #DOMAIN_XML} a file holding a minimal
 * domain definition of the driver in which {@value #NAME_TOKEN} stands for the domain's name.
 */
public final class TckConfig {
    /** System property: the connection URI of the driver under test. */
    public static final String URI = "jvirt.tck.uri";
    /** System property: the domain template file. */
    public static final String DOMAIN_XML = "jvirt.tck.domain-xml";
    /** What the template's name is written as. */
    public static final String NAME_TOKEN = "@NAME@";

    private TckConfig() {
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("the runnable TCK needs -D" + property + " (see docs/tck.md)");
        }
        return v;
    }

    /** Opens a connection to the configured URI. */
    public static Connection open() {
        return Virt.open(required(URI));
    }

    /** The configured template with {@code name} filled in. */
    public static String domainXml(String name) {
        Path file = Path.of(required(DOMAIN_XML));
        String template;
        try {
            template = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TCK's domain template " + file, e);
        }
        if (!template.contains(NAME_TOKEN)) {
            throw new IllegalStateException("the domain template " + file + " must write the name as " + NAME_TOKEN
                    + ", e.g. <name>" + NAME_TOKEN + "</name>");
        }
        return template.replace(NAME_TOKEN, name);
    }
}
