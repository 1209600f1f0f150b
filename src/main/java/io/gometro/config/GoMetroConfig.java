package io.gometro.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole validated configuration file, immutable. Built only by {@link ConfigLoader#load(Path)}.
 *
 * <p>go-metro keys ({@code init_config}): snaplen, idle_ttl, exp_ttl (or expired_ttl), statsd_ip,
 * statsd_port, log_to_file, log_level. Ours: flush_interval, max_flows, max_pending, buffer_size,
 * read_timeout_ms, resolve_interval, status_file, percentiles.
 *
 * @param file          the file it came from (for messages)
 * @param snaplen       bytes captured per packet, 104..65535
 * @param idleTtl       a flow with no traffic this long is dropped
 * @param expTtl        a flow is kept this long after FIN/RST
 * @param statsdHost    DogStatsD address: an IP literal or a host name (syntax checked only)
 * @param statsdPort    DogStatsD UDP port, 1..65535
 * @param statsdSet     statsd_ip or statsd_port was in the file: it wins over DD_DOGSTATSD_URL and
 *                      DD_AGENT_HOST/DD_DOGSTATSD_PORT ({@link DogStatsdAddress})
 * @param logToFile     log to the -log file (true) or to stdout
 * @param logLevel      threshold of our own log
 * @param flushInterval how often gauges are sent
 * @param maxFlows      bound on tracked flows per instance
 * @param maxFlowsSet   max_flows was in the file (else the default, which the daemon may lower to fit its heap)
 * @param maxPending    bound on unacknowledged segments remembered per flow
 * @param bufferSize    kernel capture buffer, bytes
 * @param readTimeoutMs pcap read timeout; also how often the flush clock advances without packets
 * @param resolveInterval how often a live instance looks its hosts, its ips' names and its
 *                      interface's addresses up again; zero: only at start, as go-metro did
 * @param statusFile    where the daemon keeps its status for {@code go-metro -status}
 * @param percentiles   also send each pair's interval median, 95th and 99th percentile, max and count
 *                      (off by default: each is a custom metric per pair)
 * @param instances     at least one
 * @param warnings      non-fatal findings (unknown keys, ignored keys), each one line naming file and key;
 *                      the caller logs them once logging is set up
 */
public record GoMetroConfig(Path file, int snaplen, Duration idleTtl, Duration expTtl,
                            String statsdHost, int statsdPort, boolean statsdSet, boolean logToFile, LogLevel logLevel,
                            Duration flushInterval, int maxFlows, boolean maxFlowsSet, int maxPending, int bufferSize,
                            int readTimeoutMs, Duration resolveInterval, Path statusFile, boolean percentiles,
                            List<InstanceConfig> instances, List<String> warnings) {
    public static final int DEFAULT_SNAPLEN = 512;
    public static final int MIN_SNAPLEN = 104;
    public static final int MAX_SNAPLEN = 65535;
    public static final Duration DEFAULT_IDLE_TTL = Duration.ofSeconds(300);
    public static final Duration DEFAULT_EXP_TTL = Duration.ofSeconds(60);
    public static final String DEFAULT_STATSD_HOST = "127.0.0.1";
    public static final int DEFAULT_STATSD_PORT = 8125;
    public static final LogLevel DEFAULT_LOG_LEVEL = LogLevel.INFO;
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_FLOWS = 100_000;
    public static final int DEFAULT_MAX_PENDING = 1024;
    /**
     * 8 MiB: the kernel ring is resident, so this is RSS. Before the daemon warmed its hot path up
     * (Warmup), 4 MiB dropped packets at the start of a burst at ~900 k packets/s (tcpreplay
     * --topspeed on the bench's veth, 2 cores shared with the sender). With the warm-up, at
     * 840-920 k packets/s: 8 MiB and 4 MiB dropped nothing (4 MiB: 3 of 3 runs), 2 MiB dropped in
     * 1 run of 3, 1 MiB dropped. 8 MiB keeps twice the margin for bursts on a busier host; the
     * README tells operators that 4 MiB saves 4 MB.
     */
    public static final int DEFAULT_BUFFER_SIZE = 8 << 20;
    public static final int DEFAULT_READ_TIMEOUT_MS = 100;
    /** Five minutes: names behind load balancers and CDNs change their addresses within hours. */
    public static final Duration DEFAULT_RESOLVE_INTERVAL = Duration.ofSeconds(300);
    /**
     * A directory dd-agent may write under systemd (the unit's StateDirectory) and under
     * supervisord (the package makes it); ProtectSystem=strict leaves little else.
     */
    public static final Path DEFAULT_STATUS_FILE = Path.of("/var/lib/go-metro/status.json");

    /** The same configuration with another max_flows (the daemon fits an unset one to its heap). */
    public GoMetroConfig withMaxFlows(int flows) {
        return new GoMetroConfig(file, snaplen, idleTtl, expTtl, statsdHost, statsdPort, statsdSet, logToFile, logLevel,
                flushInterval, flows, maxFlowsSet, maxPending, bufferSize, readTimeoutMs, resolveInterval, statusFile,
                percentiles, instances, warnings);
    }

    public GoMetroConfig {
        instances = List.copyOf(instances);
        warnings = List.copyOf(warnings);
    }
}
