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

/** The tracker on go-metro's public captures (../shared/fixtures), against tshark's figures. */
class FixtureRttIT {
    private static final double MS = 1e6;

    @Test
    void scpUploadMatchesTsharkAckRtts() {
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_scp.pcap"), Tracking.local("10.42.31.222"));
        assertEquals(1, flows.size());
        Tracking.Snap f = flows.get(0);
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
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_tcp.pcap"), Tracking.local("192.168.1.116"));
        assertEquals(1, flows.size());
        Tracking.Snap f = flows.get(0);
        // SYN, the 143-byte request and FIN, each acknowledged once (tshark: 72-75 ms).
        assertEquals(3, f.samples());
        assertTrue(f.minRttNanos() >= 72 * MS && f.maxRttNanos() <= 76 * MS,
                "min " + f.minRttNanos() / MS + " max " + f.maxRttNanos() / MS);
    }

    @Test
    void withoutLocalEverySenderIsMeasured() {
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_tcp.pcap"), LocalPolicy.everyone());
        assertEquals(2, flows.size());
        assertEquals(3, flows.get(0).samples() + flows.get(1).samples() - peerSamples(flows));
    }

    private static long peerSamples(List<Tracking.Snap> flows) {
        for (Tracking.Snap f : flows) {
            if (!Addresses.toString(f.srcHi(), f.srcLo()).equals("192.168.1.116")) return f.samples();
        }
        throw new AssertionError("no peer flow");
    }

    @Test
    void recycledConnectionsStartClean() {
        // The second copy starts an hour later: the first connection has expired and its
        // Connection, Flow and queue are reused for the second, which must not notice.
        PcapFile one = PcapFile.fixture("test_scp.pcap");
        List<PcapFile.Record> twice = new ArrayList<>(one.records());
        twice.addAll(Captures.shift(one, 3_600 * TrackerConfig.SECOND).records());
        List<Tracking.Snap> copies = Tracking.track(new PcapFile(one.linkType(), one.snaplen(), twice), Tracking.local("10.42.31.222"));
        assertEquals(2, copies.size());
        assertEquals(copies.get(0).samples(), copies.get(1).samples());
        assertEquals(copies.get(0).srttNanos(), copies.get(1).srttNanos());
        assertEquals(copies.get(0).rttvarNanos(), copies.get(1).rttvarNanos());
        assertEquals(copies.get(0).minRttNanos(), copies.get(1).minRttNanos());
        assertEquals(copies.get(0).p50Nanos(), copies.get(1).p50Nanos());
    }

    @Test
    void everyLinkTypeGivesIdenticalResults() {
        PcapFile eth = PcapFile.fixture("test_scp.pcap");
        List<Tracking.Snap> base = Tracking.track(eth, Tracking.local("10.42.31.222"));
        for (PcapFile variant : List.of(Captures.vlan(eth, 42), Captures.qinq(eth, 7, 42),
                Captures.toSll(eth), Captures.toSll2(eth), Captures.toRaw(eth))) {
            List<Tracking.Snap> got = Tracking.track(variant, Tracking.local("10.42.31.222"));
            assertEquals(base.size(), got.size(), "link type " + variant.linkType());
            for (int i = 0; i < base.size(); i++) {
                assertEquals(base.get(i).samples(), got.get(i).samples());
                assertEquals(base.get(i).srttNanos(), got.get(i).srttNanos());
                assertEquals(base.get(i).rttvarNanos(), got.get(i).rttvarNanos());
            }
        }
    }
}
