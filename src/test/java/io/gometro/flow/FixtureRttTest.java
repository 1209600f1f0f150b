package io.gometro.flow;

import io.gometro.decode.Addresses;
import io.gometro.decode.PacketView;
import io.gometro.testutil.Captures;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tracker on go-metro's public captures, against tshark's figures. */
class FixtureRttTest {
    private static final double MS = 1e6;

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

    @Test
    void scpUploadMatchesTsharkAckRtts() {
        List<Snap> flows = track(PcapFile.resource("test_scp.pcap"), local("10.42.31.222"));
        assertEquals(1, flows.size());
        Snap f = flows.get(0);
        assertEquals("10.42.31.222", Addresses.toString(f.srcHi(), f.srcLo()));
        assertEquals("162.243.251.92", Addresses.toString(f.dstHi(), f.dstLo()));
        // tshark -r test_scp.pcap -Y "ip.src==162.243.251.92 && tcp.analysis.ack_rtt" counts 145,
        // median 18.4 ms. Our rule takes one sample per newly-acking ACK; allow a few either way.
        assertTrue(f.samples() >= 135 && f.samples() <= 150, "samples " + f.samples());
        double p50 = f.p50Nanos() / MS;
        assertEquals(18.4, p50, 18.4 * 0.04, "p50 ms");
        assertTrue(f.minRttNanos() > 0 && f.minRttNanos() <= f.maxRttNanos());
    }

    @Test
    void httpRequestGetsItsThreeSamples() {
        List<Snap> flows = track(PcapFile.resource("test_tcp.pcap"), local("192.168.1.116"));
        assertEquals(1, flows.size());
        Snap f = flows.get(0);
        // SYN, the 143-byte request and FIN, each acknowledged once (tshark: 72-75 ms).
        assertEquals(3, f.samples());
        assertTrue(f.minRttNanos() >= 72 * MS && f.maxRttNanos() <= 76 * MS,
                "min " + f.minRttNanos() / MS + " max " + f.maxRttNanos() / MS);
    }

    @Test
    void withoutLocalEverySenderIsMeasured() {
        List<Snap> flows = track(PcapFile.resource("test_tcp.pcap"), LocalPolicy.everyone());
        assertEquals(2, flows.size());
        assertEquals(3, flows.get(0).samples() + flows.get(1).samples() - peerSamples(flows));
    }

    private static long peerSamples(List<Snap> flows) {
        for (Snap f : flows) {
            if (!Addresses.toString(f.srcHi(), f.srcLo()).equals("192.168.1.116")) return f.samples();
        }
        throw new AssertionError("no peer flow");
    }

    @Test
    void recycledConnectionsStartClean() {
        // The second copy starts an hour later: the first connection has expired and its
        // Connection, Flow and queue are reused for the second, which must not notice.
        PcapFile one = PcapFile.resource("test_scp.pcap");
        List<PcapFile.Record> twice = new ArrayList<>(one.records());
        twice.addAll(Captures.shift(one, 3_600 * TrackerConfig.SECOND).records());
        List<Snap> copies = track(new PcapFile(one.linkType(), one.snaplen(), twice), local("10.42.31.222"));
        assertEquals(2, copies.size());
        assertEquals(copies.get(0).samples(), copies.get(1).samples());
        assertEquals(copies.get(0).srttNanos(), copies.get(1).srttNanos());
        assertEquals(copies.get(0).rttvarNanos(), copies.get(1).rttvarNanos());
        assertEquals(copies.get(0).minRttNanos(), copies.get(1).minRttNanos());
        assertEquals(copies.get(0).p50Nanos(), copies.get(1).p50Nanos());
    }

    @Test
    void everyLinkTypeGivesIdenticalResults() {
        PcapFile eth = PcapFile.resource("test_scp.pcap");
        List<Snap> base = track(eth, local("10.42.31.222"));
        for (PcapFile variant : List.of(Captures.vlan(eth, 42), Captures.qinq(eth, 7, 42),
                Captures.toSll(eth), Captures.toSll2(eth), Captures.toRaw(eth))) {
            List<Snap> got = track(variant, local("10.42.31.222"));
            assertEquals(base.size(), got.size(), "link type " + variant.linkType());
            for (int i = 0; i < base.size(); i++) {
                assertEquals(base.get(i).samples(), got.get(i).samples());
                assertEquals(base.get(i).srttNanos(), got.get(i).srttNanos());
                assertEquals(base.get(i).rttvarNanos(), got.get(i).rttvarNanos());
            }
        }
    }
}
