package io.gometro.flow;

import io.gometro.decode.PacketView;
import io.gometro.net.Addresses;
import io.gometro.testutil.Captures;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tracker on go-metro's public captures (../shared/fixtures): pinned figures, each with its reason. */
class FixtureRttIT {
    private static final double MS = 1e6;

    // Pinned figures. Each is what the reference rule (oracle.ReferenceTracker, which shares no code
    // with the tracker) takes from the capture, and ReferenceCorpusIT checks the two agree on every
    // packet of it; a change here is a change of the rule, to be made on purpose in both.

    @Test
    void scpUploadIsPinned() {
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_scp.pcap"), Tracking.local("10.42.31.222"));
        assertEquals(1, flows.size());
        Tracking.Snap f = flows.get(0);
        assertEquals("10.42.31.222", Addresses.toString(f.srcHi(), f.srcLo()));
        assertEquals("162.243.251.92", Addresses.toString(f.dstHi(), f.dstLo()));
        // One sample per ACK that newly acknowledges data: 145, as many ACKs as tshark's
        // tcp.analysis.ack_rtt times (ip.src==162.243.251.92). No retransmission, no SACK.
        assertEquals(145, f.samples());
        // The fastest and slowest ACK of the upload, exactly (microsecond capture: whole us).
        assertEquals(4_646_000, f.minRttNanos());
        assertEquals(55_688_000, f.maxRttNanos());
        // The median of the 145 samples is the 73rd, 19.138 ms; p50 is read from the flow's DDSketch,
        // whose answer is within 1% of it. (tshark's median, 18.4 ms, is lower by design: it times each
        // ACK from the segment ending where it acknowledges, the latest covered, where the rule times
        // the earliest newly covered one, as Linux does.)
        assertEquals(19.138, f.p50Nanos() / MS, 19.138 * 0.01, "p50 ms");
    }

    @Test
    void httpRequestGetsItsThreeSamples() {
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_tcp.pcap"), Tracking.local("192.168.1.116"));
        assertEquals(1, flows.size());
        Tracking.Snap f = flows.get(0);
        // The SYN (74.599 ms), the 143-byte request (72.322 ms) and the FIN (74.253 ms), each
        // acknowledged once by the server 107.6.106.82; tshark times the same three.
        assertEquals(3, f.samples());
        assertEquals(72_322_000, f.minRttNanos());
        assertEquals(74_599_000, f.maxRttNanos());
        // RFC 6298 by hand: 74.599; 0.875 * 74.599 + 0.125 * 72.322 = 74.314375; then with 74.253:
        // 74.306703125 ms, exact in binary.
        assertEquals(74_306_703.125, f.srttNanos());
    }

    @Test
    void withoutLocalEverySenderIsMeasured() {
        List<Tracking.Snap> flows = Tracking.track(PcapFile.fixture("test_tcp.pcap"), LocalPolicy.everyone());
        assertEquals(2, flows.size());
        Tracking.Snap client = sentBy(flows, "192.168.1.116"), server = sentBy(flows, "107.6.106.82");
        assertEquals(3, client.samples());
        // The capture was taken on the client, so the server's segments (SYN-ACK, response, FIN) are
        // timed to the client's own ACKs: 5 samples of 128-221 us, the client's turnaround.
        assertEquals(5, server.samples());
        assertEquals(128_000, server.minRttNanos());
        assertEquals(221_000, server.maxRttNanos());
    }

    private static Tracking.Snap sentBy(List<Tracking.Snap> flows, String ip) {
        return flows.stream().filter(f -> Addresses.toString(f.srcHi(), f.srcLo()).equals(ip)).findFirst()
                .orElseThrow(() -> new AssertionError("no flow sent by " + ip + ": " + flows));
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
