package io.jvirt.tck.snapshot;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the suite reads from a snapshot's {@code <domainsnapshot>} description: its name,
 * description, state and parent's name (libvirt's element names).
 *
 * @param xml         the document as the driver gave it
 * @param name        {@code /domainsnapshot/name}
 * @param description {@code /domainsnapshot/description}, or empty
 * @param state       {@code /domainsnapshot/state} ({@code running}, {@code shutoff}, …), or null
 * @param parent      {@code /domainsnapshot/parent/name}, or null
 */
record SnapshotDoc(String xml, String name, String description, String state, String parent) {

    /** Parses a snapshot description, failing the test if it is not a {@code <domainsnapshot>} document. */
    static SnapshotDoc parse(String xml) {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new AssertionError("the snapshot XML does not parse: " + e.getMessage() + "\n" + xml, e);
        }
        Element root = doc.getDocumentElement();
        assertEquals("domainsnapshot", root.getTagName(), "the snapshot XML's root element:\n" + xml);
        String name = text(root, "name");
        if (name == null) {
            fail("the snapshot XML has no <name>:\n" + xml);
        }
        String description = text(root, "description");
        Element parent = child(root, "parent");
        return new SnapshotDoc(xml, name, description == null ? "" : description, text(root, "state"),
                parent == null ? null : text(parent, "name"));
    }

    private static Element child(Element e, String tag) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(tag)) {
                return c;
            }
        }
        return null;
    }

    private static String text(Element e, String tag) {
        Element c = child(e, tag);
        return c == null ? null : c.getTextContent().strip();
    }
}
