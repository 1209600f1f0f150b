package io.gometro.report;

import io.gometro.net.Addresses;
import com.timgroup.statsd.StatsDClient;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;
import io.gometro.flow.IntervalSamples;
import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Sends one capture's RTTs to DogStatsD at each flush tick, on the capture thread. One per
 * instance (interface); they share one {@link StatsdSink}.
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
 * metric per pair.
 *
 * <b>Pair rule.</b> Several connections to one peer share one tag set, and a gauge keeps only one
 * value per tag set and interval, so the flows of a pair are combined: avg and jitter are the
 * means of the flows' values weighted by each flow's number of samples since the previous
 * flush (with soften off that makes avg exactly the mean of all the pair's fresh samples).
 *
 * <p>Also, at every flush, gauges tagged {@code iface:} plus the instance tags:
 * {@code go_metro.packets.processed}, {@code go_metro.packets.dropped} (kernel plus interface
 * drops) and {@code go_metro.flows.active}, from the {@link CaptureCounters} supplier
 * (totals since the capture started).
 *
 * <p>And at every flush the service check {@code go_metro.can_capture}, OK, tagged like the
 * operational gauges ({@link #cannotCapture} sends its CRITICAL when a capture cannot open or fails);
 * and, when a {@link StatusBoard.Slot} is given, the flush's figures and pairs for
 * {@code go-metro -status}.
 *
 * <p>Names for tags come from the map given at construction (prepared at start) or by
 * {@link #setNames} (a whitelist looked up again); any other address is written as its IP. No
 * name lookup happens here.
 */
public final class StatsdReporter implements FlowListener {
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

    private record Addr(long hi, long lo) {}

    private record Pair(long srcHi, long srcLo, long dstHi, long dstLo) {}

    /** One pair's flows in this flush. */
    private static final class Agg {
        long weight;              // fresh samples
        double avgSum, jitterSum; // weighted by fresh samples, ns
        long lastRtt;
        long lastAt = Long.MIN_VALUE;
        long max = -1;            // largest fresh sample, ns
        int flows;
    }

    private final StatsdSink sink;
    private final String iface;
    private final boolean soften;
    private final Supplier<CaptureCounters> counters;
    private final Map<Addr, String> names = new HashMap<>();
    private final String[] opsTags;
    private final List<String> instanceTags;
    private StatusBoard.Slot slot;
    private IntervalSamples percentiles;   // null: off
    private List<String> whitelist = List.of();

    /**
     * @param sink         the shared DogStatsD client
     * @param iface        the interface name for the {@code iface:} tag
     * @param instanceTags the instance's {@code tags}, sent as given
     * @param names        address to name, for the src/dst tags (resolved at start, never here)
     * @param soften       -st: avg is SRTT when true, the interval's mean when false
     * @param counters     read at every flush, on the capture thread
     */
    public StatsdReporter(StatsdSink sink, String iface, List<String> instanceTags,
                          Map<InetAddress, String> names, boolean soften, Supplier<CaptureCounters> counters) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.iface = Objects.requireNonNull(iface, "iface");
        this.instanceTags = List.copyOf(instanceTags);
        this.soften = soften;
        this.counters = Objects.requireNonNull(counters, "counters");
        names.forEach((a, n) -> this.names.put(new Addr(Addresses.hi(a), Addresses.lo(a)), n));
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
     * An instance whose capture cannot open or has failed: CRITICAL {@link #CAN_CAPTURE} with the reason,
     * and the same in its status slot.
     */
    public static void cannotCapture(StatsdSink sink, StatusBoard.Slot slot, List<String> instanceTags, String reason) {
        StatusBoard.InstanceStatus was = slot.get();
        sink.serviceCheck(CAN_CAPTURE, false, reason, instanceTags(was.iface(), instanceTags));
        slot.publish(was.withState("failed", reason, System.currentTimeMillis()));
    }

    /** Where each flush publishes its figures for -status, with the whitelist in force (shown as given). */
    public void publishTo(StatusBoard.Slot slot, List<String> whitelist) {
        this.slot = slot;
        this.whitelist = List.copyOf(whitelist);
    }

    /**
     * Also send, per pair and flush, the median, 95th and 99th percentile (from a DDSketch of the
     * interval's samples, 1% relative accuracy), the max and the count of its samples. The tracker
     * fills {@code samples}; this reads and clears it at each flush.
     */
    public void sendPercentiles(IntervalSamples samples) {
        this.percentiles = samples;
    }

    /** The whitelist shown by -status after a new lookup; capture thread only. */
    public void setWhitelist(List<String> whitelist) {
        this.whitelist = List.copyOf(whitelist);
    }

    /** Replaces the tag names; capture thread only, like {@link #onFlush}. */
    public void setNames(Map<InetAddress, String> names) {
        this.names.clear();
        names.forEach((a, n) -> this.names.put(new Addr(Addresses.hi(a), Addresses.lo(a)), n));
    }

    @Override
    public void onFlush(long nowNanos, List<Flow> fresh) {
        sink.retryIfDown();
        sink.logErrors();
        StatsDClient client = sink.client();

        Map<Pair, Agg> pairs = new LinkedHashMap<>();
        long samples = 0;
        int flows = 0;
        for (Flow f : fresh) {
            int w = f.freshSamples();
            if (w <= 0) continue;
            flows++;
            samples += w;
            Agg a = pairs.computeIfAbsent(new Pair(f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo()), k -> new Agg());
            a.flows++;
            a.weight += w;
            a.avgSum += w * (soften ? f.srttNanos() : f.freshMeanNanos());
            a.jitterSum += w * f.rttvarNanos();
            a.max = Math.max(a.max, f.freshMaxNanos());
            if (f.lastSampleNanos() >= a.lastAt) {
                a.lastAt = f.lastSampleNanos();
                a.lastRtt = f.lastRttNanos();
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("iface {}: flow {} -> {}: {} new samples, last {} ms, srtt {} ms, rttvar {} ms, interval mean {} ms",
                        iface, Addresses.format(f.srcHi(), f.srcLo(), f.srcPort()),
                        Addresses.format(f.dstHi(), f.dstLo(), f.dstPort()), w, ms(f.lastRttNanos()),
                        ms(f.srttNanos()), ms(f.rttvarNanos()), ms(f.freshMeanNanos()));
            }
        }

        // The operational gauges first: if the client's queue overflows, they are not what is lost.
        CaptureCounters c = counters.get();
        if (client != null && c != null) {
            client.gauge(PACKETS, c.packets(), opsTags);
            client.gauge(DROPPED, c.dropped(), opsTags);
            client.gauge(ACTIVE, c.activeFlows(), opsTags);
        }
        sink.serviceCheck(CAN_CAPTURE, true, null, opsTags);

        if (client != null) {
            long perPair = percentiles != null ? 8 : 3;
            if (perPair * pairs.size() > StatsdSink.QUEUE_GAUGES - 3) {
                LOG.warn("iface {}: {} (src, dst) pairs make {} gauges, more than the DogStatsD client queues at once ({}); "
                        + "some of this flush's gauges may be dropped; narrow ips/hosts in the instance",
                        iface, pairs.size(), perPair * pairs.size(), StatsdSink.QUEUE_GAUGES);
            }
            for (Map.Entry<Pair, Agg> e : pairs.entrySet()) {
                Pair p = e.getKey();
                Agg a = e.getValue();
                String[] tags = pairTags(p);
                client.gauge(RTT, ms(a.lastRtt), tags);
                client.gauge(RTT_AVG, ms(a.avgSum / a.weight), tags);
                client.gauge(RTT_JITTER, ms(a.jitterSum / a.weight), tags);
            }
            if (percentiles != null) percentileGauges(client, pairs);
        }
        if (percentiles != null) percentiles.clear();
        if (slot != null) publish(pairs, c);

        String packets = c == null ? "?" : c.summary();
        if (client != null) {
            LOG.info("iface {}: reported {} pairs from {} flows, {} samples; {}", iface, pairs.size(), flows, samples, packets);
        } else {
            LOG.info("iface {}: DogStatsD at {} unavailable, {} pairs from {} flows ({} samples) not sent; {}",
                    iface, sink.target(), pairs.size(), flows, samples, packets);
        }
    }

    private void percentileGauges(StatsDClient client, Map<Pair, Agg> pairs) {
        Map<Pair, DDSketch> sketches = new HashMap<>();
        IntervalSamples s = percentiles;
        for (int i = 0; i < s.size(); i++) {
            sketches.computeIfAbsent(new Pair(s.srcHi(i), s.srcLo(i), s.dstHi(i), s.dstLo(i)),
                    k -> DDSketches.unboundedDense(0.01)).accept(ms(s.rttNanos(i)));
        }
        if (s.seen() > s.size()) {
            LOG.debug("iface {}: percentiles of this flush from a uniform sample of {} of its {} samples", iface,
                    s.size(), s.seen());
        }
        for (Map.Entry<Pair, Agg> e : pairs.entrySet()) {
            String[] tags = pairTags(e.getKey());
            Agg a = e.getValue();
            DDSketch k = sketches.get(e.getKey());
            if (k != null && !k.isEmpty()) {
                client.gauge(RTT_MEDIAN, k.getValueAtQuantile(0.5), tags);
                client.gauge(RTT_P95, k.getValueAtQuantile(0.95), tags);
                client.gauge(RTT_P99, k.getValueAtQuantile(0.99), tags);
            }
            client.gauge(RTT_MAX, ms(a.max), tags);
            client.gauge(RTT_COUNT, a.weight, tags);
        }
    }

    private void publish(Map<Pair, Agg> pairs, CaptureCounters c) {
        List<StatusBoard.PairRow> rows = new ArrayList<>(pairs.size());
        for (Map.Entry<Pair, Agg> e : pairs.entrySet()) {
            Pair p = e.getKey();
            Agg a = e.getValue();
            rows.add(new StatusBoard.PairRow(name(p.srcHi(), p.srcLo()), name(p.dstHi(), p.dstLo()),
                    ms(a.lastRtt), ms(a.avgSum / a.weight), ms(a.jitterSum / a.weight)));
        }
        StatusBoard.InstanceStatus was = slot.get();
        long now = System.currentTimeMillis();
        slot.publish(new StatusBoard.InstanceStatus(was.key(), was.iface(), "capturing", null,
                "capturing".equals(was.state()) ? was.sinceMillis() : now,
                c == null ? was.packets() : c.packets(), c == null ? was.dropped() : c.dropped(),
                c == null ? was.activeFlows() : c.activeFlows(), now, pairs.size(), whitelist, rows));
    }

    private String[] pairTags(Pair p) {
        String[] tags = new String[3 + instanceTags.size()];
        tags[0] = "src:" + name(p.srcHi(), p.srcLo());
        tags[1] = "dst:" + name(p.dstHi(), p.dstLo());
        tags[2] = "iface:" + iface;
        for (int i = 0; i < instanceTags.size(); i++) tags[3 + i] = instanceTags.get(i);
        return tags;
    }

    private String name(long hi, long lo) {
        String n = names.get(new Addr(hi, lo));
        return n != null ? n : Addresses.toString(hi, lo);
    }

    private static double ms(double nanos) {
        return nanos / 1e6;
    }
}
