package io.gometro.report;

import com.timgroup.statsd.StatsDClient;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The DogStatsD sink: sends each flush's {@link PairReport} through the {@link StatsdSink} that
 * all instances share.
 *
 * <p>Gauges, in milliseconds, per (src ip, dst ip) pair, tagged {@code src:}, {@code dst:},
 * {@code iface:} and the instance's tags:
 * <ul>
 * <li>{@code system.net.tcp.rtt}: the last sample of the pair's flow whose sample is the most recent;
 * <li>{@code system.net.tcp.rtt.avg}: SRTT (RFC 6298), or with soften off ({@code -st=false})
 *     the plain mean of the samples taken since the previous flush;
 * <li>{@code system.net.tcp.rtt.jitter}: RTTVAR (RFC 6298).
 * </ul>
 * With {@code init_config.percentiles: true}, also per pair and flush, from the interval's samples:
 * {@code .median}, {@code .95percentile}, {@code .99percentile} (a DDSketch, 1% relative accuracy),
 * {@code .max} and {@code .count}, DogStatsD's own histogram names. Off by default: each is a custom
 * metric per pair. How flows make a pair: {@link Reporter}.
 *
 * <p>Also, at every flush, gauges tagged {@code iface:} plus the instance tags:
 * {@code go_metro.packets.processed}, {@code go_metro.packets.dropped} (kernel plus interface
 * drops) and {@code go_metro.flows.active} (totals since the capture started).
 *
 * <p>And at every flush the service check {@code go_metro.can_capture}, OK, tagged like the
 * operational gauges ({@link #cannotCapture} sends its CRITICAL when a capture cannot open or fails).
 */
public final class StatsdReporter implements ReportSink {
    private static final Logger LOG = LogManager.getLogger(StatsdReporter.class);

    public static final String RTT = "system.net.tcp.rtt";
    public static final String RTT_AVG = "system.net.tcp.rtt.avg";
    public static final String RTT_JITTER = "system.net.tcp.rtt.jitter";
    public static final String PACKETS = "go_metro.packets.processed";
    public static final String DROPPED = "go_metro.packets.dropped";
    public static final String ACTIVE = "go_metro.flows.active";
    /** With {@code percentiles: true}: DogStatsD's own histogram names, per pair and flush. */
    public static final String RTT_MEDIAN = "system.net.tcp.rtt.median";
    public static final String RTT_P95 = "system.net.tcp.rtt.95percentile";
    public static final String RTT_P99 = "system.net.tcp.rtt.99percentile";
    public static final String RTT_MAX = "system.net.tcp.rtt.max";
    public static final String RTT_COUNT = "system.net.tcp.rtt.count";
    /** The service check: OK while the instance captures, CRITICAL with the reason when it cannot. */
    public static final String CAN_CAPTURE = "go_metro.can_capture";

    private final StatsdSink sink;
    private final String iface;
    private final String[] opsTags;
    private final List<String> instanceTags;

    /**
     * @param sink         the shared DogStatsD client
     * @param iface        the interface name for the {@code iface:} tag
     * @param instanceTags the instance's {@code tags}, sent as given
     */
    public StatsdReporter(StatsdSink sink, String iface, List<String> instanceTags) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.iface = Objects.requireNonNull(iface, "iface");
        this.instanceTags = List.copyOf(instanceTags);
        this.opsTags = instanceTags(iface, this.instanceTags);
    }

    /**
     * The tags of an instance's operational gauges and service check: {@code iface:} and the
     * instance's tags.
     */
    public static String[] instanceTags(String iface, List<String> instanceTags) {
        List<String> ops = new ArrayList<>();
        ops.add("iface:" + iface);
        ops.addAll(instanceTags);
        return ops.toArray(String[]::new);
    }

    /**
     * An instance whose capture cannot open or has failed: CRITICAL {@link #CAN_CAPTURE} with the
     * reason (when DogStatsD is a sink at all), and the same in its status slot.
     *
     * @param sink the shared DogStatsD client, or null when the daemon reports elsewhere only
     */
    public static void cannotCapture(StatsdSink sink, StatusBoard.Slot slot, List<String> instanceTags, String reason) {
        StatusBoard.InstanceStatus was = slot.get();
        if (sink != null) sink.serviceCheck(CAN_CAPTURE, false, reason, instanceTags(was.iface(), instanceTags));
        slot.publish(was.withState("failed", reason, System.currentTimeMillis()));
    }

    @Override
    public void accept(PairReport r) {
        sink.retryIfDown();
        sink.logErrors();
        StatsDClient client = sink.client();

        // The operational gauges first: if the client's queue overflows, they are not what is lost.
        CaptureCounters c = r.counters();
        if (client != null && c != null) {
            client.gauge(PACKETS, c.packets(), opsTags);
            client.gauge(DROPPED, c.dropped(), opsTags);
            client.gauge(ACTIVE, c.activeFlows(), opsTags);
        }
        sink.serviceCheck(CAN_CAPTURE, true, null, opsTags);

        List<PairReport.Row> rows = r.rows();
        if (client != null) {
            long perPair = r.percentiles() ? 8 : 3;
            if (perPair * rows.size() > StatsdSink.QUEUE_GAUGES - 3) {
                LOG.warn("iface {}: {} (src, dst) pairs make {} gauges, more than the DogStatsD client queues at once ({}); "
                        + "some of this flush's gauges may be dropped; narrow ips/hosts in the instance",
                        iface, rows.size(), perPair * rows.size(), StatsdSink.QUEUE_GAUGES);
            }
            for (PairReport.Row p : rows) {
                String[] tags = pairTags(p);
                client.gauge(RTT, ms(p.last()), tags);
                client.gauge(RTT_AVG, ms(p.avg()), tags);
                client.gauge(RTT_JITTER, ms(p.jitter()), tags);
            }
            if (r.percentiles()) {
                for (PairReport.Row p : rows) {
                    String[] tags = pairTags(p);
                    if (!Double.isNaN(p.median())) {
                        client.gauge(RTT_MEDIAN, ms(p.median()), tags);
                        client.gauge(RTT_P95, ms(p.p95()), tags);
                        client.gauge(RTT_P99, ms(p.p99()), tags);
                    }
                    client.gauge(RTT_MAX, ms(p.max()), tags);
                    client.gauge(RTT_COUNT, p.samples(), tags);
                }
            }
        }

        String packets = c == null ? "?" : c.summary();
        if (client != null) {
            LOG.info("iface {}: reported {} pairs from {} flows, {} samples; {}", iface, rows.size(), r.flows(),
                    r.samples(), packets);
        } else {
            LOG.info("iface {}: DogStatsD at {} unavailable, {} pairs from {} flows ({} samples) not sent; {}",
                    iface, sink.target(), rows.size(), r.flows(), r.samples(), packets);
        }
    }

    private String[] pairTags(PairReport.Row p) {
        String[] tags = new String[3 + instanceTags.size()];
        tags[0] = "src:" + p.src();
        tags[1] = "dst:" + p.dst();
        tags[2] = "iface:" + iface;
        for (int i = 0; i < instanceTags.size(); i++) tags[3 + i] = instanceTags.get(i);
        return tags;
    }

    private static double ms(double nanos) {
        return nanos / 1e6;
    }
}
