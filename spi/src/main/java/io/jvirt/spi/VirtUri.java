package io.jvirt.spi;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed connection URI in libvirt's form {@code driver[+transport]://[host]/path[?query]}.
 *
 * @param text      the URI as given
 * @param driver    the scheme's driver part ({@code qemu})
 * @param transport the scheme's transport part ({@code ssh}), or empty
 * @param host      host, or empty for the local host
 * @param path      path ({@code /session}, {@code /embed}, {@code /default}); never null
 * @param query     decoded query parameters in order
 */
public record VirtUri(String text, String driver, String transport, String host, String path, Map<String, String> query) {
    public VirtUri {
        query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
    }

    /**
     * Parses {@code text}.
     *
     * @throws VirtException {@code INVALID_ARG} naming what is wrong
     */
    public static VirtUri parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "malformed connection URI '" + text + "': " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new VirtException(ErrorCode.INVALID_ARG, "connection URI '" + text + "' has no scheme (driver://...)");
        }
        String driver = scheme;
        String transport = "";
        int plus = scheme.indexOf('+');
        if (plus >= 0) {
            driver = scheme.substring(0, plus);
            transport = scheme.substring(plus + 1);
        }
        Map<String, String> query = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                query.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            }
        }
        String host = uri.getHost() == null ? "" : uri.getHost();
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (uri.isOpaque()) {
            // "test:default" has no "//": treat the scheme-specific part as a path
            path = uri.getSchemeSpecificPart();
        }
        return new VirtUri(text, driver.toLowerCase(java.util.Locale.ROOT), transport, host, path, query);
    }

    /** A query parameter. */
    public Optional<String> param(String name) {
        return Optional.ofNullable(query.get(name));
    }

    /** Whether the URI names this host (no host part, or {@code localhost}). */
    public boolean isLocal() {
        return host.isEmpty() || host.equals("localhost");
    }

    @Override
    public String toString() {
        return text;
    }
}
