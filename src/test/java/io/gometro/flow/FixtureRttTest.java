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

    /** Runs a capture through decode and the tracker; returns the flows that carried data. */
    static List<Flow> track(PcapFile file, LocalPolicy local) {
        List<Flow> out = new ArrayList<>();
        FlowTracker t = new FlowTracker(
                new TrackerConfig(300 * TrackerConfig.SECOND, 60 * TrackerConfig.SECOND,
                        30 * TrackerConfig.SECOND, 1000, 1024, true),
                local,
                new FlowListener() {
                    @Override public void onFlush(long now, List<Flow> fresh) {}
                    @Override public void onRemoved(Flow f, Removal why) { out.add(f); }
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
        List<Flow> flows = track(PcapFile.resource("test_scp.pcap"), local("10.42.31.222"));
        assertEquals(1, flows.size());
        Flow f = flows.get(0);
        assertEquals("10.42.31.222", Addresses.toString(f.srcHi(), f.srcLo()));
        assertEquals("162.243.251.92", Addresses.toString(f.dstHi(), f.dstLo()));
        // tshark -r test_scp.pcap -Y "ip.src==162.243.251.92 && tcp.analysis.ack_rtt" counts 145,
        // median 18.4 ms. Our rule takes one sample per newly-acking ACK; allow a few either way.
        assertTrue(f.samples() >= 135 && f.samples() <= 150, "samples " + f.samples());
        double p50 = f.sketch().getValueAtQuantile(0.5) / MS;
        assertEquals(18.4, p50, 18.4 * 0.04, "p50 ms");
        assertTrue(f.minRttNanos() > 0 && f.minRttNanos() <= f.maxRttNanos());
    }

    @Test
    void httpRequestGetsItsThreeSamples() {
        List<Flow> flows = track(PcapFile.resource("test_tcp.pcap"), local("192.168.1.116"));
        assertEquals(1, flows.size());
        Flow f = flows.get(0);
        // SYN, the 143-byte request and FIN, each acknowledged once (tshark: 72-75 ms).
        assertEquals(3, f.samples());
        assertTrue(f.minRttNanos() >= 72 * MS && f.maxRttNanos() <= 76 * MS,
                "min " + f.minRttNanos() / MS + " max " + f.maxRttNanos() / MS);
    }

    @Test
    void withoutLocalEverySenderIsMeasured() {
        List<Flow> flows = track(PcapFile.resource("test_tcp.pcap"), LocalPolicy.everyone());
        assertEquals(2, flows.size());
        assertEquals(3, flows.get(0).samples() + flows.get(1).samples() - peerSamples(flows));
    }

    private static long peerSamples(List<Flow> flows) {
        for (Flow f : flows) {
            if (!Addresses.toString(f.srcHi(), f.srcLo()).equals("192.168.1.116")) return f.samples();
        }
        throw new AssertionError("no peer flow");
    }

    @Test
    void everyLinkTypeGivesIdenticalResults() {
        PcapFile eth = PcapFile.resource("test_scp.pcap");
        List<Flow> base = track(eth, local("10.42.31.222"));
        for (PcapFile variant : List.of(Captures.vlan(eth, 42), Captures.qinq(eth, 7, 42),
                Captures.toSll(eth), Captures.toSll2(eth), Captures.toRaw(eth))) {
            List<Flow> got = track(variant, local("10.42.31.222"));
            assertEquals(base.size(), got.size(), "link type " + variant.linkType());
            for (int i = 0; i < base.size(); i++) {
                assertEquals(base.get(i).samples(), got.get(i).samples());
                assertEquals(base.get(i).srttNanos(), got.get(i).srttNanos());
                assertEquals(base.get(i).rttvarNanos(), got.get(i).rttvarNanos());
            }
        }
    }
}
