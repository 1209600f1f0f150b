package io.gometro.config;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code instances:}: an interface to capture on (or {@code file} to replay a pcap),
 * its extra tags and its whitelist. Immutable.
 *
 * @param index          position in {@code instances:}, for messages ({@code instances[index]})
 * @param interfaceName  capture device, or {@link #FILE_INTERFACE}
 * @param pcap           the capture to replay when the interface is {@code file} (resolved against the
 *                       configuration file's directory when relative); empty otherwise
 * @param tags           extra DogStatsD tags, as written
 * @param ips            whitelisted peers by address (literals only; no DNS was done)
 * @param hosts          whitelisted peers by name (syntax checked; resolved later by app.Whitelist)
 * @param sample         capture in duty cycles
 * @param sampleDuration capture this long in every cycle (meaningful only with sample)
 * @param sampleInterval one cycle lasts this long (meaningful only with sample)
 */
public record InstanceConfig(int index, String interfaceName, Optional<Path> pcap, List<String> tags,
                             List<InetAddress> ips, List<String> hosts,
                             boolean sample, Duration sampleDuration, Duration sampleInterval) {
    /** The pseudo-interface that replays {@code pcap} instead of capturing live. */
    public static final String FILE_INTERFACE = "file";

    public InstanceConfig {
        tags = List.copyOf(tags);
        ips = List.copyOf(ips);
        hosts = List.copyOf(hosts);
    }

    /** True when this instance replays a file instead of capturing live. */
    public boolean isFile() { return FILE_INTERFACE.equals(interfaceName); }

    /** {@code instances[i]}, the key path used in messages about this instance. */
    public String keyPath() { return "instances[" + index + "]"; }
}
