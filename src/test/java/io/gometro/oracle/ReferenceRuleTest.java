package io.gometro.oracle;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.net.Addresses;
import io.gometro.testutil.Captures;
import io.gometro.testutil.Packets;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reference rule on its own (answers worked out by hand), then beside the real tracker on every
 * capture this project recorded, plainly and as operators' hosts see them (every frame twice, the
 * clock stepped, the 4-tuple reused, VLAN-tagged), with the shipped limits and with limits small
 * enough that eviction and merged segments happen on every capture.
 */
class ReferenceRuleTest {
    private static final Path LAB = Path.of("src/test/resources/pcap/lab");
    private static final long MS = 1_000_000L, S = 1_000 * MS;
    private static final TrackerConfig SHIPPED = TrackerConfig.defaults();
    /** Two connections, four segments: the table evicts and the queues merge all the time. */
    private static final TrackerConfig TINY = new TrackerConfig(5 * S, 2 * S, 30 * S, 2, 4, false);

    // --- the rule alone ---

    private final ReferenceTracker rule = new ReferenceTracker(SHIPPED, LocalPolicy.of(Addresses.parse("10.0.0.1")));
    private final PacketView view = new PacketView();
    private int ipId = 1;

    private ReferenceTracker.Outcome feed(Packets.Builder b, long ts) {
        byte[] f = b.ipId(ipId++).ethernet();
        assertEquals(PacketView.OK, view.decode(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET));
        return rule.offer(view, ts);
    }

    private static Packets.Builder out(int seq, int len) {
        return Packets.tcp().src("10.0.0.1", 40000).dst("10.0.0.2", 443).flags(PacketView.ACK | PacketView.PSH)
                .seq(seq).ack(1).payload(len);
    }

    private static Packets.Builder ack(int ack) {
        return Packets.tcp().src("10.0.0.2", 443).dst("10.0.0.1", 40000).flags(PacketView.ACK).seq(1).ack(ack);
    }

    private static long rtt(ReferenceTracker.Outcome o) {
        assertEquals(ReferenceTracker.Kind.SAMPLE, o.kind(), o.toString());
        return o.rttNanos();
    }

    @Test
    void anAckTimesTheEarliestSegmentItCovers() {
        long t0 = 1_700_000_000L * S;
        feed(out(1000, 100), t0);
        feed(out(1100, 100), t0 + MS);
        assertEquals(7 * MS, rtt(feed(ack(1200), t0 + 7 * MS)), "from the first of the two");
        feed(out(1200, 100), t0 + 10 * MS);
        assertEquals(ReferenceTracker.Kind.NOTHING, feed(ack(1200), t0 + 11 * MS).kind(), "a duplicate ACK");
        assertEquals(ReferenceTracker.Kind.NOTHING, feed(ack(1400), t0 + 12 * MS).kind(), "an ACK of data never sent");
    }

    @Test
    void karnWithoutTimestampsAndTheCopyTSecrNamesWithThem() {
        long t0 = 1_700_000_000L * S;
        feed(out(1000, 100), t0);
        feed(out(1000, 100), t0 + 300 * MS);
        assertEquals(ReferenceTracker.Kind.NOTHING, feed(ack(1100), t0 + 310 * MS).kind(), "either copy: no sample");

        feed(out(1100, 100).ts(50, 9), t0 + 400 * MS);
        feed(out(1100, 100).ts(80, 9), t0 + 700 * MS);
        assertEquals(12 * MS, rtt(feed(ack(1200).ts(10, 80), t0 + 712 * MS)), "TSecr names the second copy");
    }

    @Test
    void anAckOverSegmentsSentFarApartIsDiscarded() {
        long t0 = 1_700_000_000L * S;
        feed(out(1000, 100), t0);
        feed(out(1100, 100), t0 + 250 * MS);
        assertEquals(ReferenceTracker.Kind.DISCARDED, feed(ack(1200), t0 + 260 * MS).kind(), "ACKs were missed");
    }

    @Test
    void aSackTimesTheSegmentItHoldsWhenTheCumulativeAckDoesNot() {
        long t0 = 1_700_000_000L * S;
        feed(out(1000, 100), t0);
        feed(out(1100, 100), t0 + 2 * MS);
        assertEquals(9 * MS, rtt(feed(ack(1000).sack(1100, 1200), t0 + 11 * MS)), "SACK of the second");
    }

    // --- beside the tracker ---


    /** Every capture under src/test/resources/pcap/lab, by name: a new recording is checked too. */
    static List<String> labCaptures() throws IOException {
        try (Stream<Path> files = Files.list(LAB)) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".pcap"))
                    .map(n -> n.substring(0, n.length() - ".pcap".length())).sorted().toList();
            assertTrue(names.size() >= 12, "the lab's recordings: " + names);
            return names;
        }
    }

    private static PcapFile lab(String name) throws IOException {
        return PcapFile.read(LAB.resolve(name + ".pcap"));
    }

    private static Agreement agree(PcapFile f, TrackerConfig cfg, String what) {
        Agreement a = Agreement.replay(f, cfg, LocalPolicy.everyone());
        a.assertAgreed(what);
        return a;
    }

    @ParameterizedTest
    @MethodSource("labCaptures")
    void theTrackerAgreesWithTheRuleOnEveryAckOfTheLabCaptures(String name) throws IOException {
        PcapFile f = lab(name);
        for (TrackerConfig cfg : new TrackerConfig[] {SHIPPED, TINY}) {
            String limits = cfg == SHIPPED ? "shipped limits" : "tiny limits";
            Agreement a = agree(f, cfg, name + ", " + limits);
            // With four segments remembered, a bulk upload's merged tail is ambiguous: fewer samples, never none.
            assertTrue(a.samples() >= (cfg == SHIPPED ? 50 : 5), name + ", " + limits + ": " + a);
            int mid = f.records().size() / 2;
            agree(Captures.everyFrameTwice(f, 2_000), cfg, name + " with every frame twice, " + limits);
            agree(Captures.clockStep(f, mid, -30 * S), cfg, name + " with the clock stepped back 30 s, " + limits);
            agree(Captures.clockStep(f, mid, 600 * S), cfg, name + " with the clock stepped forward 600 s, " + limits);
            if (f.linkType() == LinkType.ETHERNET) {
                agree(Captures.reusedTuple(f, 1_000_000, 2 * S), cfg, name + " with its 4-tuple reused, " + limits);
                agree(Captures.qinq(f, 7, 42), cfg, name + " in QinQ, " + limits);
            }
        }
    }

    @Test
    void aDifferenceBetweenTheTwoIsCaught() throws IOException {
        // The same rule with another bound on remembered segments: the comparison must notice.
        Agreement a = Agreement.replay(lab("v4-ethernet-bulk"),
                new Agreement(SHIPPED, TINY, LocalPolicy.everyone(), Agreement.NO_LISTENER));
        assertTrue(a.disagreements() > 0, a.toString());
        assertThrows(AssertionError.class, () -> a.assertAgreed("max_pending 1024 against 4"));
    }
}
