package io.jvirt.api.xml;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A hardened, path-tracking cursor over a StAX reader: the reading half of {@link DomainXml}.
 *
 * <p>Contract: an element handler is called with the cursor on the element's start tag (the path
 * includes the element) and returns after consuming its end tag ({@link #nextChild()} returning
 * false, {@link #text()}, {@link #empty()} or {@link #skip()}).
 */
final class XmlCursor {
    private static final int MAX_MESSAGE = 300;

    private final XMLStreamReader reader;
    private final Deque<String> path = new ArrayDeque<>();

    private XmlCursor(XMLStreamReader reader) {
        this.reader = reader;
    }

    /** An XML_ERROR with a one-line message. */
    static VirtException error(String message) {
        StringBuilder sb = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 3));
        for (int i = 0; i < message.length() && sb.length() < MAX_MESSAGE; i++) {
            char ch = message.charAt(i);
            sb.append(ch < 0x20 || ch == 0x7f ? ' ' : ch);
        }
        if (sb.length() < message.length()) {
            sb.append("...");
        }
        return new VirtException(ErrorCode.XML_ERROR, sb.toString());
    }

    /**
     * Opens a document after checking its size, and moves to its root element.
     *
     * @param roots the accepted root element names
     */
    static XmlCursor open(String xml, Set<String> roots) {
        if (xml == null) {
            throw error("no XML document given");
        }
        if (xml.length() > DomainXml.MAX_DOCUMENT_CHARS) {
            throw error("XML document too large: " + xml.length() + " characters (limit "
                    + DomainXml.MAX_DOCUMENT_CHARS + ")");
        }
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        factory.setProperty(XMLInputFactory.IS_COALESCING, true);
        factory.setXMLResolver((publicId, systemId, base, ns) -> {
            throw new XMLStreamException("external entities are not allowed: " + systemId);
        });
        XmlCursor c;
        try {
            c = new XmlCursor(factory.createXMLStreamReader(new StringReader(xml)));
        } catch (XMLStreamException e) {
            throw malformed(e);
        }
        while (c.next() != XMLStreamConstants.START_ELEMENT) {
            if (c.reader.getEventType() == XMLStreamConstants.END_DOCUMENT) {
                throw error("XML document has no root element");
            }
        }
        String root = c.qname();
        c.path.push(root);
        if (!roots.contains(root)) {
            throw error("unsupported element " + c.path());
        }
        return c;
    }

    /** After the root element's handler: nothing but comments and whitespace may follow. */
    void finish() {
        while (reader.getEventType() != XMLStreamConstants.END_DOCUMENT) {
            next();
        }
        try {
            reader.close();
        } catch (XMLStreamException e) {
            throw malformed(e);
        }
    }

    /** The current element's name (with its prefix, if any). */
    String name() {
        return path.peek();
    }

    /** The current element's path, such as {@code /domain/devices/disk}. */
    String path() {
        StringBuilder sb = new StringBuilder();
        var it = path.descendingIterator();
        while (it.hasNext()) {
            sb.append('/').append(it.next());
        }
        return sb.toString();
    }

    /** The current element's attributes, rejecting any not in {@code allowed}. */
    Attrs attrs(String... allowed) {
        return new Attrs(this, reader, path(), allowed);
    }

    /** Throws: the current element is not supported here. */
    VirtException unsupported() {
        return error("unsupported element " + path());
    }

    /**
     * Moves to the next child element of the current element. Returns false (after consuming the
     * current element's end tag) when there is none.
     */
    boolean nextChild() {
        while (true) {
            switch (next()) {
                case XMLStreamConstants.START_ELEMENT -> {
                    path.push(qname());
                    return true;
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    path.pop();
                    return false;
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA -> {
                    if (!reader.isWhiteSpace() && !reader.getText().isBlank()) {
                        throw error("unexpected text '" + reader.getText().strip() + "' in " + path());
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Reads the current element's text content; child elements are an error. */
    String text() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            switch (next()) {
                case XMLStreamConstants.START_ELEMENT -> {
                    path.push(qname());
                    throw unsupported();
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    path.pop();
                    return sb.toString();
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
                        sb.append(reader.getText());
                default -> {
                }
            }
        }
    }

    /** Consumes an element that must have no content (attributes are read before). */
    void empty() {
        String p = path();
        if (!text().isBlank()) {
            throw error("unexpected text in " + p + ": the element must be empty");
        }
    }

    /** Skips the current element and everything in it. */
    void skip() {
        int depth = 1;
        while (depth > 0) {
            int ev = next();
            if (ev == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (ev == XMLStreamConstants.END_ELEMENT) {
                depth--;
            }
        }
        path.pop();
    }

    private int next() {
        try {
            int ev = reader.next();
            if (ev == XMLStreamConstants.DTD) {
                throw error("DTDs are not allowed in domain XML (found a DOCTYPE at line "
                        + reader.getLocation().getLineNumber() + ")");
            }
            if (ev == XMLStreamConstants.ENTITY_REFERENCE) {
                throw error("entity references are not allowed: &" + reader.getLocalName() + "; in " + path());
            }
            return ev;
        } catch (XMLStreamException e) {
            throw malformed(e);
        }
    }

    private String qname() {
        String prefix = reader.getPrefix();
        String ns = reader.getNamespaceURI();
        if (ns != null && !ns.isEmpty()) {
            // Elements in a namespace (hypervisor extensions, a default xmlns) are never ours.
            String shown = prefix == null || prefix.isEmpty() ? "{" + ns + "}" + reader.getLocalName()
                    : prefix + ":" + reader.getLocalName();
            path.push(shown);
            throw unsupported();
        }
        return reader.getLocalName();
    }

    private static VirtException malformed(XMLStreamException e) {
        Location loc = e.getLocation();
        String msg = e.getMessage() == null ? "" : e.getMessage();
        int i = msg.indexOf("Message: ");
        if (i >= 0) {
            msg = msg.substring(i + "Message: ".length());
        }
        String where = loc == null ? "" : " at line " + loc.getLineNumber() + ", column " + loc.getColumnNumber();
        VirtException ve = error("malformed XML" + where + ": " + msg.strip());
        ve.initCause(e);
        return ve;
    }
}
