package io.jvirt.driver.test;

import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What a test host starts with: the host's facts and its domains with their initial states.
 *
 * <p>{@link #defaultNode()} is {@code test:///default}: one running persistent domain named
 * {@code test}. {@link #load(Path)} reads a node description in libvirt's test-driver format:
 * <pre>{@code
 * <node>
 *   <cpu><active>8</active></cpu>          <!-- optional: host CPUs (or nodes*sockets*cores*threads) -->
 *   <memory>8388608</memory>               <!-- optional: host memory in KiB -->
 *   <domain type='test'>...</domain>       <!-- inline definition -->
 *   <domain file='other.xml'/>             <!-- or a file, relative to the node file -->
 * </node>
 * }</pre>
 * Every domain is persistent and starts running, unless it carries libvirt's test-namespace run
 * state, {@code <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>},
 * whose number is a {@link DomainState} ordinal (1 running, 3 paused, 5 shut off). Other node
 * children (networks, pools, …) are ignored.
 *
 * @param host    the host's facts
 * @param domains the domains, in document order
 */
public record TestNode(Capabilities.Host host, List<NodeDomain> domains) {
    /** libvirt's test-driver XML namespace. */
    public static final String TEST_NS = "http://libvirt.org/schemas/domain/test/1.0";
    /** The largest node description accepted, in bytes. */
    public static final long MAX_NODE_BYTES = 16L * 1024 * 1024;
    /** The default domain's UUID, as libvirt's test driver has it. */
    public static final UUID DEFAULT_UUID = UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f");

    private static final Capabilities.Host DEFAULT_HOST =
            new Capabilities.Host("x86_64", 16, 16L * 1024 * 1024, "a5c6c4e4-2b1f-4f5e-9d6a-2c4f1e0d7b10");

    public TestNode {
        domains = List.copyOf(domains);
    }

    /**
     * A domain of the node with its initial state.
     *
     * @param def   its definition
     * @param state {@link DomainState#RUNNING}, {@link DomainState#PAUSED} or {@link DomainState#SHUTOFF}
     */
    public record NodeDomain(DomainDef def, DomainState state) {
    }

    /** {@code test:///default}'s host: 16 CPUs, 16 GiB, and the running domain {@code test}. */
    public static TestNode defaultNode() {
        return new TestNode(DEFAULT_HOST, List.of(new NodeDomain(defaultDomain(), DomainState.RUNNING)));
    }

    /** The predefined domain {@code test}: 8 GiB maximum, 2 GiB current, 2 vCPUs, one disk, one NIC. */
    public static DomainDef defaultDomain() {
        return new DomainDef("test", "test", DEFAULT_UUID, null, null,
                8L * 1024 * 1024, 2L * 1024 * 1024, 2,
                new DomainDef.OsDef("hvm", "x86_64", null, null, null, null, List.of("hd")),
                List.of(), null, null, "destroy", "restart", "destroy", null,
                List.of(new Device.Disk("file", "disk", "raw", "/guest/diskimage1", "vda", "virtio",
                                false, false, null, null, null),
                        new Device.Interface("network", "aa:bb:cc:dd:ee:ff", "virtio", "default", "testnet0", null),
                        new Device.Memballoon("virtio", 0, null)));
    }

    /**
     * Loads a node description.
     *
     * @throws VirtException {@code NO_CONNECT} naming the file and what was wrong
     */
    public static TestNode load(Path file) {
        try {
            if (Files.size(file) > MAX_NODE_BYTES) {
                throw fail(file, "larger than " + MAX_NODE_BYTES + " bytes", null);
            }
            Element root = parseFile(file).getDocumentElement();
            if (!root.getTagName().equals("node")) {
                throw fail(file, "root element is <" + root.getTagName() + ">, expected <node>", null);
            }
            Capabilities.Host host = host(root, file);
            List<NodeDomain> domains = new ArrayList<>();
            int index = 0;
            for (Element child : children(root)) {
                if (!child.getTagName().equals("domain")) {
                    continue;
                }
                index++;
                domains.add(domain(child, file, index));
            }
            return new TestNode(host, domains);
        } catch (IOException e) {
            throw fail(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static NodeDomain domain(Element el, Path file, int index) throws IOException {
        String ref = el.getAttribute("file");
        if (!ref.isEmpty()) {
            Path sub = file.toAbsolutePath().getParent().resolve(ref);
            if (Files.size(sub) > MAX_NODE_BYTES) {
                throw fail(file, "domain file " + sub + " is larger than " + MAX_NODE_BYTES + " bytes", null);
            }
            el = parseFile(sub).getDocumentElement();
            if (!el.getTagName().equals("domain")) {
                throw fail(file, "domain file " + sub + " holds <" + el.getTagName() + ">, expected <domain>", null);
            }
        }
        DomainState state = DomainState.RUNNING;
        for (Element child : children(el)) {
            if (TEST_NS.equals(child.getNamespaceURI()) && child.getLocalName().equals("runstate")) {
                state = runstate(child.getTextContent().strip(), file, index);
                el.removeChild(child);
            }
        }
        var attrs = el.getAttributes();
        for (int i = attrs.getLength() - 1; i >= 0; i--) {
            Node a = attrs.item(i);
            if (XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(a.getNamespaceURI()) && TEST_NS.equals(a.getNodeValue())) {
                el.removeAttributeNode((org.w3c.dom.Attr) a);
            }
        }
        DomainDef def;
        try {
            def = DomainXml.parse(serialize(el));
        } catch (VirtException e) {
            throw fail(file, "domain #" + index + ": " + e.getMessage(), e);
        }
        return new NodeDomain(def, state);
    }

    private static DomainState runstate(String text, Path file, int index) {
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw fail(file, "domain #" + index + ": runstate '" + text + "' is not a number", null);
        }
        return switch (n) {
            case 1 -> DomainState.RUNNING;
            case 3 -> DomainState.PAUSED;
            case 5 -> DomainState.SHUTOFF;
            default -> throw fail(file, "domain #" + index + ": runstate " + n
                    + " is not supported (use 1 running, 3 paused or 5 shut off)", null);
        };
    }

    private static Capabilities.Host host(Element root, Path file) {
        int cpus = DEFAULT_HOST.cpus();
        long mem = DEFAULT_HOST.memoryKiB();
        for (Element child : children(root)) {
            switch (child.getTagName()) {
                case "memory" -> mem = number(child, file, "memory");
                case "cpu" -> {
                    long active = -1;
                    long product = 1;
                    boolean topology = false;
                    for (Element c : children(child)) {
                        switch (c.getTagName()) {
                            case "active" -> active = number(c, file, "cpu/active");
                            case "nodes", "sockets", "cores", "threads" -> {
                                product *= number(c, file, "cpu/" + c.getTagName());
                                topology = true;
                            }
                            default -> { }
                        }
                    }
                    if (active > 0) {
                        cpus = (int) active;
                    } else if (topology && product > 0) {
                        cpus = (int) product;
                    }
                }
                default -> { }
            }
        }
        return new Capabilities.Host(DEFAULT_HOST.arch(), cpus, mem, DEFAULT_HOST.uuid());
    }

    private static long number(Element el, Path file, String what) {
        String text = el.getTextContent().strip();
        try {
            long v = Long.parseLong(text);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw fail(file, "<" + what + "> must be a positive number, was '" + text + "'", null);
        }
    }

    private static List<Element> children(Element el) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = el.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }

    private static Document parseFile(Path file) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.ErrorHandler() {
                @Override
                public void warning(org.xml.sax.SAXParseException e) {
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b.parse(file.toFile());
        } catch (SAXException e) {
            throw fail(file, "malformed XML" + (e instanceof org.xml.sax.SAXParseException p
                    ? " at line " + p.getLineNumber() : "") + ": " + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "XML parser setup failed: " + e.getMessage(), e);
        }
    }

    private static String serialize(Element el) {
        try {
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(el), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "cannot re-serialise a node's domain: " + e.getMessage(), e);
        }
    }

    private static VirtException fail(Path file, String what, Throwable cause) {
        return new VirtException(ErrorCode.NO_CONNECT, "cannot load test node description " + file + ": " + what, cause);
    }
}
