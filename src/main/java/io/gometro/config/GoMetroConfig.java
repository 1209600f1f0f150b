package io.gometro.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole validated configuration file, immutable. Built only by {@link ConfigLoader#load(Path)}.
 *
 * <p>go-metro keys ({@code init_config}): snaplen, idle_ttl, exp_ttl (or expired_ttl), statsd_ip,
 * statsd_port, log_to_file, log_level. Ours: flush_interval, max_flows, max_pending, buffer_size,
 * read_timeout_ms, resolve_interval.
 *
 * @param file          the file it came from (for messages)
 * @param snaplen       bytes captured per packet, 104..65535
 * @param idleTtl       a flow with no traffic this long is dropped
 * @param expTtl        a flow is kept this long after FIN/RST
 * @param statsdHost    DogStatsD address: an IP literal or a host name (syntax checked only)
 * @param statsdPort    DogStatsD UDP port, 1..65535
 * @param logToFile     log to the -log file (true) or to stdout
 * @param logLevel      threshold of our own log
 * @param flushInterval how often gauges are sent
 * @param maxFlows      bound on tracked flows per instance
 * @param maxPending    bound on unacknowledged segments remembered per flow
 * @param bufferSize    kernel capture buffer, bytes
 * @param readTimeoutMs pcap read timeout; also how often the flush clock advances without packets
 * @param resolveInterval how often a live instance looks its hosts (and ips' names) up again;
 *                      zero: only at start, as go-metro did
 * @param instances     at least one
 * @param warnings      non-fatal findings (unknown keys, ignored keys), each one line naming file and key;
 *                      the caller logs them once logging is set up
 */
public record GoMetroConfig(Path file, int snaplen, Duration idleTtl, Duration expTtl,
                            String statsdHost, int statsdPort, boolean logToFile, LogLevel logLevel,
                            Duration flushInterval, int maxFlows, int maxPending, int bufferSize,
                            int readTimeoutMs, Duration resolveInterval, List<InstanceConfig> instances,
                            List<String> warnings) {
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
     * 8 MiB: the kernel ring is resident, so this is RSS, but at ~900 k packets/s (tcpreplay
     * --topspeed on the bench's veth, 2 cores shared with the sender and other jobs) 4 MiB covers
     * only ~8 ms of scheduling delay: 3 of 5 runs dropped 11-43 k of 3.3 M packets; with 8 MiB
     * 1 of 5 (22 k). The daemon's own pauses stayed under 3 ms (GC log), so what remains is the
     * capture thread waiting for a CPU; 16 MiB had no drops in the earlier bench runs.
     */
    public static final int DEFAULT_BUFFER_SIZE = 8 << 20;
    public static final int DEFAULT_READ_TIMEOUT_MS = 100;
    /** Five minutes: names behind load balancers and CDNs change their addresses within hours. */
    public static final Duration DEFAULT_RESOLVE_INTERVAL = Duration.ofSeconds(300);

    public GoMetroConfig {
        instances = List.copyOf(instances);
        warnings = List.copyOf(warnings);
    }
}
