package io.gometro.flow;

import io.gometro.decode.PacketView;
import io.gometro.net.Addresses;
import io.gometro.testutil.PcapFile;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Runs captures through decode and a tracker the way the tests of this package need it. */
final class Tracking {
    private Tracking() {}

    /** What a test keeps of a removed flow (the tracker recycles the Flow itself). */
    record Snap(long id, long srcHi, long srcLo, long dstHi, long dstLo, long samples, double srttNanos,
                double rttvarNanos, long minRttNanos, long maxRttNanos, double p50Nanos) {
        static Snap of(Flow f) {
            return new Snap(f.id(), f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), f.samples(), f.srttNanos(),
                    f.rttvarNanos(), f.minRttNanos(), f.maxRttNanos(),
                    f.samples() > 0 ? f.sketch().getValueAtQuantile(0.5) : Double.NaN);
        }
    }

    /** Runs a capture through decode and the tracker; returns the flows that carried data. */
    static List<Snap> track(PcapFile file, LocalPolicy local) {
        List<Snap> out = new ArrayList<>();
        FlowTracker t = new FlowTracker(
                new TrackerConfig(300 * TrackerConfig.SECOND, 60 * TrackerConfig.SECOND,
                        30 * TrackerConfig.SECOND, 1000, 1024, true),
                local,
                new FlowListener() {
                    @Override public void onFlush(long now, List<Flow> fresh) {}
                    @Override public void onRemoved(Flow f, Removal why) { out.add(Snap.of(f)); }
                });
        PacketView v = new PacketView();
        long last = 0;
        for (PcapFile.Record r : file.records()) {
            MemorySegment seg = MemorySegment.ofArray(r.data());
            if (v.decode(seg, 0, r.caplen(), file.linkType()) == PacketView.OK) t.onPacket(v, r.tsNanos());
            last = r.tsNanos();
        }
        t.finish(last);
        out.sort((a, b) -> Long.compare(a.id(), b.id()));
        return out;
    }

    static LocalPolicy local(String ip) {
        return LocalPolicy.of(Addresses.parse(ip));
    }

}
