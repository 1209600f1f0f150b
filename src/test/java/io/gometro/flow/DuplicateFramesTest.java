package io.gometro.flow;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.testutil.Packets;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What tells a copy of a frame from a retransmission of its segment. */
class DuplicateFramesTest {
    private static final long MS = 1_000_000L;
    private final DuplicateFrames d = new DuplicateFrames();
    private final PacketView v = new PacketView();

    private boolean seen(Packets.Builder b, long ts) {
        byte[] f = b.ethernet();
        assertEquals(PacketView.OK, v.decode(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET));
        return d.isCopy(v, ts);
    }

    private static Packets.Builder v4(int ipId) {
        return Packets.tcp().src("10.0.0.1", 40000).dst("10.0.0.2", 80).seq(1000).ack(1).flags(0x18).payload(100).ipId(ipId);
    }

    private static Packets.Builder v6() {
        return Packets.tcp().src("2001:db8::1", 40000).dst("2001:db8::2", 80).seq(1000).ack(1).flags(0x18).payload(100);
    }

    @Test void aCopyWithinTheWindowIsACopyAndSoIsAThird() {
        assertFalse(seen(v4(77), 0));
        assertTrue(seen(v4(77), 2_000));
        assertTrue(seen(v4(77), 9 * MS), "a third copy is matched against the first");
        assertEquals(2, d.copies());
    }

    @Test void anotherIpIdOrTsValIsARetransmission() {
        assertFalse(seen(v4(77), 0));
        assertFalse(seen(v4(78), 1 * MS), "senders number each packet");
        assertFalse(seen(v6().ts(500, 9), 0));
        assertFalse(seen(v6().ts(501, 9), 1 * MS), "TSval moved on");
        assertEquals(0, d.copies());
    }

    @Test void theWindowIsShortWithoutAnIdentifier() {
        // IPv6 without timestamps: only the 1 ms window, since a fast retransmission looks the same.
        assertFalse(seen(v6(), 0));
        assertTrue(seen(v6(), 500_000));
        assertFalse(seen(v6(), 3 * MS));
        assertFalse(seen(v4(77), 0));
        assertFalse(seen(v4(77), 11 * MS), "past the 10 ms window even with the same IP ID");
    }

    @Test void otherSegmentsAndDirectionsAreNotCopies() {
        assertFalse(seen(v4(77), 0));
        assertFalse(seen(v4(77).seq(1100), 1));
        assertFalse(seen(v4(77).ack(2), 2));
        assertFalse(seen(Packets.tcp().src("10.0.0.2", 80).dst("10.0.0.1", 40000).seq(1000).ack(1).flags(0x18)
                .payload(100).ipId(77), 3));
    }
}
