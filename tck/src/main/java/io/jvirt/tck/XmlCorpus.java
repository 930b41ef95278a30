package io.jvirt.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The round-trip corpus under the class-path directory {@code xml-corpus/} (the TCK's resources):
 * the documents named in {@code xml-corpus/index.txt} (one per line, {@code #} comments), or, when
 * there is no index, every {@code *.xml} found by listing the directory (in a directory or a jar).
 */
public final class XmlCorpus {
    /** The class-path directory of the corpus. */
    public static final String DIR = "xml-corpus";

    private XmlCorpus() {
    }

    /**
     * One document.
     *
     * @param name its path under {@code xml-corpus/}
     * @param xml  its text
     */
    public record Doc(String name, String xml) {
    }

    /** The corpus index, relative to the class path. */
    public static final String INDEX = DIR + "/index.txt";

    /** Every document: in index order, or sorted by name without an index. */
    public static List<Doc> load() {
        ClassLoader cl = XmlCorpus.class.getClassLoader();
        try (InputStream index = cl.getResourceAsStream(INDEX)) {
            if (index != null) {
                List<Doc> out = new ArrayList<>();
                for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                    String name = line.strip();
                    if (name.isEmpty() || name.startsWith("#")) {
                        continue;
                    }
                    try (InputStream in = cl.getResourceAsStream(DIR + "/" + name)) {
                        if (in == null) {
                            throw new IllegalStateException(INDEX + " names " + name + ", which is not on the class path");
                        }
                        out.add(new Doc(name, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                    }
                }
                return out;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + INDEX, e);
        }
        return list();
    }

    private static List<Doc> list() {
        Map<String, String> docs = new TreeMap<>();
        try {
            Enumeration<URL> roots = XmlCorpus.class.getClassLoader().getResources(DIR);
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                switch (root.getProtocol()) {
                    case "file" -> collect(Path.of(root.toURI()), docs);
                    case "jar" -> {
                        URI jarUri = root.toURI();
                        FileSystem fs;
                        boolean opened = false;
                        try {
                            fs = FileSystems.newFileSystem(jarUri, Map.of());
                            opened = true;
                        } catch (FileSystemAlreadyExistsException e) {
                            fs = FileSystems.getFileSystem(jarUri);
                        }
                        try {
                            collect(fs.provider().getPath(jarUri), docs);
                        } finally {
                            if (opened) {
                                fs.close();
                            }
                        }
                    }
                    default -> throw new IllegalStateException("cannot list corpus at " + root);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the XML corpus", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad corpus location", e);
        }
        List<Doc> out = new ArrayList<>();
        docs.forEach((k, v) -> out.add(new Doc(k, v)));
        return out;
    }

    private static void collect(Path dir, Map<String, String> docs) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".xml") && Files.isRegularFile(f)).toList()) {
                try (InputStream in = Files.newInputStream(p)) {
                    docs.putIfAbsent(dir.relativize(p).toString().replace('\\', '/'),
                            new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
    }
}
