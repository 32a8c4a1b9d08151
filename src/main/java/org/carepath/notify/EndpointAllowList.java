package org.carepath.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * The operator's list of endpoints that subscriptions may call, so the server cannot be used to
 * reach hosts the operator did not name (internal services, cloud metadata). Matching is on the
 * parsed URL: same scheme, same host (exactly, no subdomains), same port, path below the entry's.
 */
final class EndpointAllowList {

    private record Entry(String scheme, String host, int port, String path) {
    }

    private final List<Entry> entries;

    EndpointAllowList(List<String> allowed) {
        this.entries = allowed.stream().map(String::trim).filter(s -> !s.isEmpty()).map(EndpointAllowList::entry).toList();
    }

    private static Entry entry(String text) {
        boolean anyPort = text.matches("^[A-Za-z]+://[^/]+:\\*(/.*)?$");
        String parseable = anyPort ? text.replaceFirst(":\\*", "") : text;
        URI uri;
        try {
            uri = new URI(parseable);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("carepath.notify.allowed-endpoints: not a URL: " + text);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("carepath.notify.allowed-endpoints: use http(s)://host[:port][/path]: " + text);
        }
        int port = anyPort ? -1 : uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return new Entry(scheme, uri.getHost().toLowerCase(Locale.ROOT), port, path);
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    /** Why the endpoint is refused, or null when it is allowed. */
    String refusal(String endpoint) {
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException | NullPointerException e) {
            return "Subscription.channel.endpoint is not a URL: " + endpoint;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || !uri.isAbsolute()) {
            return "Subscription.channel.endpoint must be an absolute http(s) URL: " + endpoint;
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            return "Subscription.channel.endpoint may not carry user information or a fragment: " + endpoint;
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        for (Entry entry : entries) {
            if (entry.scheme().equals(scheme) && entry.host().equals(host) && (entry.port() < 0 || entry.port() == port)
                    && below(path, entry.path())) {
                return null;
            }
        }
        return "Subscription.channel.endpoint " + endpoint + " is not on this server's list of allowed endpoints"
                + " (carepath.notify.allowed-endpoints); ask the operator to add it";
    }

    /** Is the path the entry's path or below it ("/hooks" allows "/hooks" and "/hooks/x", not "/hooksx")? */
    private static boolean below(String path, String prefix) {
        if (prefix.isEmpty() || prefix.equals("/")) {
            return true;
        }
        if (prefix.endsWith("/")) {
            return path.startsWith(prefix);
        }
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
