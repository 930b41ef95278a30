package io.jvirt.tck;

import io.jvirt.api.Domain;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every document of the corpus ({@code xml-corpus/} in the TCK's resources), with its
 * {@code <domain type>} replaced by the driver's type, can be defined (created, for a driver
 * without {@code PERSISTENT}), and its inactive XML parses
 * back to an equal definition. A driver that fills in defaults on define (an emulator path, a
 * machine type) says so in {@link #normalise(DomainDef)}.
 */
public abstract class XmlRoundTripSuite extends TckBase {
    private static final Pattern DOMAIN_TYPE = Pattern.compile("(<domain\\b[^>]*?\\btype\\s*=\\s*)(['\"])([^'\"]*)\\2");

    /**
     * What the driver makes of a definition when it is defined, applied to the expected side of the
     * comparison. Identity by default: the driver keeps the definition as given.
     */
    protected DomainDef normalise(DomainDef def) {
        return def;
    }

    /** {@code xml} with its root element's {@code type} attribute set to {@code type}. */
    static String withType(String xml, String type) {
        Matcher m = DOMAIN_TYPE.matcher(xml);
        if (!m.find()) {
            throw new AssertionError("corpus document has no <domain type='…'>");
        }
        return xml.substring(0, m.start()) + m.group(1) + m.group(2) + type + m.group(2) + xml.substring(m.end());
    }

    @TestFactory
    public Stream<DynamicTest> everyCorpusDocumentRoundTrips() {
        List<XmlCorpus.Doc> docs = XmlCorpus.load();
        assertFalse(docs.isEmpty(), "the XML corpus (" + XmlCorpus.DIR + "/ on the class path) is empty");
        String type = domainType();
        return docs.stream().map(doc -> DynamicTest.dynamicTest(doc.name(), () -> {
            // parse once so that generated values (uuid, MACs) are fixed, then define that document
            // (renamed tck-…, and given a fresh uuid if the driver has one like it, so that it cannot
            // clash with a domain the driver has already); what is defined is the inactive form,
            // which has no runtime-only parts (id, aliases)
            DomainDef read = DomainXml.parse(withType(doc.xml(), type)).withName(name("corpus"));
            boolean clash = conn.listDomains().stream().anyMatch(x -> x.uuid().equals(read.uuid()));
            DomainDef parsed = clash ? read.withUuid(java.util.UUID.randomUUID()) : read;
            String text = DomainXml.format(parsed);
            DomainDef given = DomainXml.parse(text);
            DomainDef expected = normalise(given);
            boolean persistent = claims(io.jvirt.api.Feature.PERSISTENT);
            Domain d = persistent ? conn.defineDomain(text) : conn.createDomain(text);
            try {
                assertEquals(given.name(), d.name());
                assertEquals(given.uuid(), d.uuid());
                DomainDef back = DomainXml.parse(d.xml(true));
                assertEquals(expected, back, doc.name() + ": the inactive XML differs from the definition:\n"
                        + d.xml(true));
            } finally {
                if (d.isActive()) {
                    d.destroy();
                }
                if (persistent) {
                    d.undefine();
                }
            }
        }));
    }
}
