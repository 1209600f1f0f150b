package io.gometro.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole validated configuration file, immutable. Built only by {@link ConfigLoader#load(Path)}.
 *
 * <p>The keys, their defaults and their ranges are listed once, in {@link ConfigKey}.
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
