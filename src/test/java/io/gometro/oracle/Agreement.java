package io.gometro.oracle;

import io.gometro.decode.PacketView;
import io.gometro.flow.FlowListener;
import io.gometro.flow.FlowTracker;
import io.gometro.flow.IntervalSamples;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.net.Addresses;
import io.gometro.testutil.PcapFile;

import java.lang.foreign.MemorySegment;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The real {@link FlowTracker} and the {@link ReferenceTracker} side by side, fed the same decoded
 * packets: after each one, both must say the same thing: no sample, a discarded sample, or the same
 * sample (value in ns, data sender and receiver). The tracker's answer is read from its public face
 * alone: its sample and discard counters, and the per-sample feed it keeps for percentiles.
 *
 * <p>One difference is allowed, and counted: the tracker remembers recent frames in a bounded
 * table, so a copy whose place later frames took is taken as new there (its documented cost: a copy
 * treated as a retransmission). The reference then takes it as new too, and the comparison goes on.
 * The reverse, the tracker ignoring a frame the rule says is not a copy, is a disagreement.
 */
public final class Agreement {
    private static final int KEEP = 20;

    private final FlowTracker tracker;
    private final ReferenceTracker reference;
    private final IntervalSamples fed = new IntervalSamples();
    private final List<String> disagreements = new ArrayList<>();
    private final Map<String, List<Long>> samplesByPair = new TreeMap<>();
    private long disagreementCount, packets, samples, discarded, copies, copiesMissed;

    /** A tracker on packet time, as analysis mode and the tests run it, with this listener. */
    public Agreement(TrackerConfig cfg, LocalPolicy local, FlowListener listener) {
        this(cfg, cfg, local, listener);
    }

    /** The rule with other limits than the tracker: only to show that a difference is caught. */
    Agreement(TrackerConfig trackerCfg, TrackerConfig ruleCfg, LocalPolicy local, FlowListener listener) {
        tracker = new FlowTracker(trackerCfg, local, listener);
        tracker.keepIntervalSamples(fed);
        reference = new ReferenceTracker(ruleCfg, local);
    }

    /** A whole capture through both; packets that do not decode as TCP are skipped, as analysis mode does. */
    public static Agreement replay(PcapFile file, TrackerConfig cfg, LocalPolicy local) {
        return replay(file, new Agreement(cfg, local, NO_LISTENER));
    }

    static Agreement replay(PcapFile file, Agreement a) {
        PacketView v = new PacketView();
        for (PcapFile.Record r : file.records()) {
            if (v.decode(MemorySegment.ofArray(r.data()), 0, r.caplen(), file.linkType()) == PacketView.OK) {
                a.onPacket(v, r.tsNanos());
            }
        }
        return a;
    }

    static final FlowListener NO_LISTENER = (now, fresh) -> {};

    public FlowTracker tracker() { return tracker; }

    /** One decoded TCP packet captured at {@code ts}, to both. */
    public void onPacket(PacketView p, long ts) {
        packets++;
        long s0 = tracker.samples(), d0 = tracker.discarded(), c0 = tracker.copies();
        tracker.onPacket(p, ts);
        long t = reference.unstep(ts);
        reference.advance(t);
        boolean trackerCopy = tracker.copies() > c0;
        boolean ruleCopy = reference.isCopy(p, t);
        if (trackerCopy) {
            if (!ruleCopy) disagree(p, ts, "a copy", "a new frame");
            else copies++;
            return;
        }
        if (ruleCopy) {
            copiesMissed++;
            reference.notACopy(p, t);
        }
        ReferenceTracker.Outcome want = reference.onPacket(p, t);
        ReferenceTracker.Outcome got = ReferenceTracker.Outcome.NOTHING;
        long ds = tracker.samples() - s0, dd = tracker.discarded() - d0;
        if (ds + dd > 1 || fed.size() != ds) {
            disagree(p, ts, ds + " samples, " + dd + " discarded, " + fed.size() + " fed", want.toString());
            fed.clear();
            return;
        }
        if (ds == 1) {
            got = new ReferenceTracker.Outcome(ReferenceTracker.Kind.SAMPLE, fed.rttNanos(0),
                    fed.srcHi(0), fed.srcLo(0), fed.dstHi(0), fed.dstLo(0));
            samples++;
            samplesByPair.computeIfAbsent(Addresses.toString(got.srcHi(), got.srcLo()) + " > "
                    + Addresses.toString(got.dstHi(), got.dstLo()), k -> new ArrayList<>()).add(got.rttNanos());
        } else if (dd == 1) {
            got = ReferenceTracker.Outcome.DISCARDED;
            discarded++;
        }
        fed.clear();
        if (!got.equals(want)) disagree(p, ts, describe(got), describe(want));
    }

    private static String describe(ReferenceTracker.Outcome o) {
        if (o.kind() != ReferenceTracker.Kind.SAMPLE) return o.toString();
        return o + " for " + Addresses.toString(o.srcHi(), o.srcLo()) + " > " + Addresses.toString(o.dstHi(), o.dstLo());
    }

    private void disagree(PacketView p, long ts, String tracker, String rule) {
        disagreementCount++;
        if (disagreements.size() < KEEP) {
            disagreements.add(String.format("packet %d at %d ns, %s:%d > %s:%d seq %d ack %d len %d flags 0x%02x%s%s: "
                            + "tracker %s, rule %s", packets, ts, Addresses.toString(p.srcHi(), p.srcLo()), p.srcPort(),
                    Addresses.toString(p.dstHi(), p.dstLo()), p.dstPort(), p.seq() & 0xffff_ffffL, p.ack() & 0xffff_ffffL,
                    p.payloadLength(), p.flags(),
                    p.hasTimestamps() ? " TSval " + (p.tsVal() & 0xffff_ffffL) + " TSecr " + (p.tsEcr() & 0xffff_ffffL) : "",
                    p.sackCount() > 0 ? " SACK " + p.sackCount() : "", tracker, rule));
        }
    }

    public long packets() { return packets; }
    /** Samples both took. */
    public long samples() { return samples; }
    /** Samples both discarded. */
    public long discarded() { return discarded; }
    /** Copies both ignored. */
    public long copies() { return copies; }
    /** Copies the tracker's frame table had forgotten (see the class comment). */
    public long copiesMissed() { return copiesMissed; }
    public long disagreements() { return disagreementCount; }

    /** Every sample both took, in order, by "sender > receiver" address (a pin's reference figures). */
    public Map<String, List<Long>> samplesByPair() { return samplesByPair; }

    /** Throws, naming the first disagreements, unless the two agreed on every packet. */
    public void assertAgreed(String what) {
        if (disagreementCount == 0) return;
        throw new AssertionError(what + ": the tracker and the reference rule disagree on " + disagreementCount
                + " of " + packets + " packets; the first:\n  " + String.join("\n  ", disagreements));
    }

    @Override public String toString() {
        return packets + " packets, " + samples + " samples, " + discarded + " discarded, " + copies + " copies ("
                + copiesMissed + " missed by the frame table), " + disagreementCount + " disagreements";
    }
}
