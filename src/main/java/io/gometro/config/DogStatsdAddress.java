package io.gometro.config;

import io.gometro.net.IpLiterals;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where DogStatsD listens: a UDP host and port, or a Unix datagram socket. Chosen as Agent 7's
 * own clients choose it, except that an explicit config wins:
 * <ol>
 * <li>{@code init_config.statsd_ip} or {@code statsd_port} set: UDP there (the other one defaulted);</li>
 * <li>else {@code DD_DOGSTATSD_URL}: {@code udp://HOST:PORT} or {@code unix:///PATH};</li>
 * <li>else {@code DD_AGENT_HOST} and {@code DD_DOGSTATSD_PORT} (either may be missing);</li>
 * <li>else 127.0.0.1:8125.</li>
 * </ol>
 * Empty variables count as unset. The systemd unit reads them from {@link #ENVIRONMENT_FILES}.
 *
 * @param host   UDP host (an IP literal or a name), or null for a socket
 * @param port   UDP port, or 0 for a socket
 * @param socket the Unix socket's path, or null for UDP
 * @param origin where the choice came from, for the log: a key or a variable
 */
public record DogStatsdAddress(String host, int port, Path socket, String origin) {
    /** Agent 7's own environment file first, then ours; the unit lists them in this order. */
    public static final String ENVIRONMENT_FILES = "/etc/datadog-agent/environment or /etc/default/go-metro "
            + "(/etc/sysconfig/go-metro on RPM hosts)";

    /** The origin of an address written in the file, as the start-up line names it. */
    public static final String FROM_FILE = ConfigKey.STATSD_IP.path() + "/" + ConfigKey.STATSD_PORT.key();

    public static DogStatsdAddress udp(String host, int port, String origin) {
        return new DogStatsdAddress(host, port, null, origin);
    }

    public static DogStatsdAddress unix(Path socket, String origin) {
        return new DogStatsdAddress(null, 0, socket, origin);
    }

    public boolean isUnix() {
        return socket != null;
    }

    /** {@code udp://HOST:PORT} or {@code unix:///PATH}, the form DD_DOGSTATSD_URL takes. */
    public String url() {
        if (isUnix()) return "unix://" + socket;
        return "udp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * The address for this config in this environment.
     *
     * @throws ConfigException naming the variable, when one is set to something unusable
     */
    public static DogStatsdAddress choose(GoMetroConfig cfg, Map<String, String> env) throws ConfigException {
        if (cfg.statsdSet()) return udp(cfg.statsdHost(), cfg.statsdPort(), FROM_FILE);
        String url = value(env, "DD_DOGSTATSD_URL");
        if (url != null) return parseUrl(cfg.file(), url);
        String host = value(env, "DD_AGENT_HOST");
        String port = value(env, "DD_DOGSTATSD_PORT");
        if (host == null && port == null) {
            return udp(ConfigKey.STATSD_IP.defaultText(), ConfigKey.STATSD_PORT.defaultInt(), "default");
        }
        if (host != null && IpLiterals.parse(host).isEmpty() && !IpLiterals.isHostName(host)) {
            throw envError(cfg.file(), "DD_AGENT_HOST", host, "is neither an IP address nor a host name",
                    "set it to the agent's address, e.g. DD_AGENT_HOST=127.0.0.1");
        }
        int p = ConfigKey.STATSD_PORT.defaultInt();
        if (port != null) {
            p = portNumber(port);
            if (p < 0) {
                throw envError(cfg.file(), "DD_DOGSTATSD_PORT", port, "is not a port number (1-65535)",
                        "set it to DogStatsD's UDP port, e.g. DD_DOGSTATSD_PORT=8125");
            }
        }
        return udp(host != null ? host : ConfigKey.STATSD_IP.defaultText(), p,
                host != null && port != null ? "DD_AGENT_HOST/DD_DOGSTATSD_PORT"
                        : host != null ? "DD_AGENT_HOST" : "DD_DOGSTATSD_PORT");
    }

    private static DogStatsdAddress parseUrl(Path file, String url) throws ConfigException {
        String fix = "write DD_DOGSTATSD_URL=udp://127.0.0.1:8125 or DD_DOGSTATSD_URL=unix:///var/run/datadog/dsd.socket";
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw envError(file, "DD_DOGSTATSD_URL", url, "is not a URL", fix);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme();
        switch (scheme) {
            case "unix" -> {
                String path = u.getPath();
                if (u.getAuthority() != null || path == null || !path.startsWith("/") || path.length() < 2) {
                    throw envError(file, "DD_DOGSTATSD_URL", url, "does not name an absolute socket path", fix);
                }
                return unix(Path.of(path), "DD_DOGSTATSD_URL");
            }
            case "udp" -> {
                String host = u.getHost();
                if (host == null || u.getPort() < 1 || u.getPort() > 65535
                        || (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/"))) {
                    throw envError(file, "DD_DOGSTATSD_URL", url, "is not udp://HOST:PORT", fix);
                }
                if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
                return udp(host, u.getPort(), "DD_DOGSTATSD_URL");
            }
            default -> throw envError(file, "DD_DOGSTATSD_URL", url,
                    "has scheme \"" + scheme + "\"; go-metro sends to udp:// and unix:// (datagram) addresses", fix);
        }
    }

    private static int portNumber(String s) {
        try {
            int p = Integer.parseInt(s);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static ConfigException envError(Path file, String var, String value, String problem, String fix) {
        return new ConfigException(file, "environment " + var, "\"" + value + "\" " + problem,
                fix + " where it is set (" + ENVIRONMENT_FILES + "), or set " + ConfigKey.STATSD_IP.path() + " and " + ConfigKey.STATSD_PORT.key());
    }
}
