package io.gometro.decode;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Jazzer target: arbitrary bytes decoded under every link type we support.
 *
 * <p>The packet lies in a heap segment of exactly its size, so a read past caplen throws
 * (IndexOutOfBoundsException) instead of silently reading a neighbour's bytes. Without
 * JAZZER_FUZZ this runs the inputs under {@code DecodeFuzzTestInputs/decode/} (seeds cut
 * from the fixtures, plus any crash kept as a regression); {@code scripts/fuzz} fuzzes it.
 */
class DecodeFuzzTest {
    static final int[] LINK_TYPES = {
            LinkType.NULL, LinkType.ETHERNET, LinkType.RAW_DLT, LinkType.RAW_DLT_OPENBSD, LinkType.RAW,
            LinkType.LOOP, LinkType.LINUX_SLL, LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL2,
            147 /* a link type we do not decode */};

    private final PacketView view = new PacketView();
    private final PacketView fresh = new PacketView();

    @FuzzTest
    void decode(byte[] data) {
        for (int lt : LINK_TYPES) {
            long[] a = decodeExact(view, data, lt);
            // The flyweight must not carry state from the previous packet: a fresh view agrees.
            long[] b = decodeExact(fresh, data, lt);
            assertArrayEquals(b, a, "decode depends on the previous packet, link type " + lt);
            // Every prefix is a capture cut by a snaplen: still no throw, and the fields
            // that the headers give (not the payload) are the same whenever both are OK.
            if (a[0] == PacketView.OK && data.length > 0) {
                int cut = (int) Math.min(data.length - 1, view.payloadOffset());
                long[] c = decodeExact(fresh, Arrays.copyOf(data, cut), lt);
                if (c[0] == PacketView.OK) {
                    // Options past the cut are lost; addresses, ports, seq, ack are not (the payload
                    // length may be: a TSO length of 0 falls back to what was captured).
                    assertArrayEquals(Arrays.copyOf(a, HEADER_FIELDS), Arrays.copyOf(c, HEADER_FIELDS),
                            "a shorter capture changed the header fields, link type " + lt);
                }
            }
        }
        // Encapsulations of the same IP packet decode to the same TCP fields.
        if (data.length > 0) {
            int v = (data[0] & 0xff) >>> 4;
            if (v == 4 || v == 6) {
                long[] raw = decodeExact(view, data, LinkType.RAW);
                long[] ip = decodeExact(view, data, v == 4 ? LinkType.IPV4 : LinkType.IPV6);
                long[] eth = decodeExact(view, prefix(ethernetHeader(v), data), LinkType.ETHERNET);
                assertEquals(raw[0], ip[0], "RAW vs IPV" + v);
                assertEquals(raw[0], eth[0], "RAW vs ETHERNET");
                if (raw[0] == PacketView.OK) {
                    assertArrayEquals(fieldsOnly(raw), fieldsOnly(ip), "RAW vs IPV" + v);
                    assertArrayEquals(fieldsOnly(raw), fieldsOnly(eth), "RAW vs ETHERNET");
                }
            }
        }
    }

    /** Index after which the snapshot holds option-derived fields. */
    private static final int HEADER_FIELDS = 12;

    /**
     * Decodes {@code data} in a segment of exactly its length (at an offset inside a larger
     * array, sliced to size, so offsets are exercised too) and checks the invariants.
     * Returns a snapshot: result, then the fields when OK.
     */
    static long[] decodeExact(PacketView v, byte[] data, int linkType) {
        byte[] backing = new byte[data.length + 7];
        System.arraycopy(data, 0, backing, 7, data.length);
        MemorySegment seg = MemorySegment.ofArray(backing).asSlice(7, data.length);
        int r;
        try {
            r = v.decode(seg, 0, data.length, linkType);
        } catch (RuntimeException e) {
            throw new AssertionError("decode threw on " + data.length + " bytes, link type " + linkType, e);
        }
        if (r < PacketView.OK || r > PacketView.MALFORMED) fail("unknown result " + r);
        if (r != PacketView.OK) return new long[] {r};
        checkInvariants(v, data.length);
        return new long[] {r,
                v.ipVersion(), v.srcHi(), v.srcLo(), v.dstHi(), v.dstLo(), v.srcPort(), v.dstPort(),
                v.seq(), v.ack(), v.flags(), v.window(), v.payloadLength(),
                // option-derived
                v.tcpHeaderLength(), v.hasTimestamps() ? 1 : 0, v.tsVal(), v.tsEcr(), v.mss(), v.windowScale(),
                v.sackPermitted() ? 1 : 0, v.sackCount(),
                v.sackCount() > 0 ? v.sackLeft(0) : 0, v.sackCount() > 0 ? v.sackRight(0) : 0,
                v.sackCount() > 3 ? v.sackLeft(3) : 0, v.sackCount() > 3 ? v.sackRight(3) : 0,
                // offsets (differ between encapsulations)
                v.ipOffset(), v.tcpOffset()};
    }

    private static void checkInvariants(PacketView v, int caplen) {
        int ipv = v.ipVersion();
        assertTrue(ipv == 4 || ipv == 6, "ipVersion " + ipv);
        assertTrue(v.payloadLength() >= 0 && v.payloadLength() <= 65535, "payloadLength " + v.payloadLength());
        assertTrue(v.sackCount() >= 0 && v.sackCount() <= PacketView.MAX_SACK, "sackCount " + v.sackCount());
        int thl = v.tcpHeaderLength();
        assertTrue(thl >= 20 && thl <= 60 && thl % 4 == 0, "tcpHeaderLength " + thl);
        assertTrue(v.ipOffset() >= 0, "ipOffset " + v.ipOffset());
        assertTrue(v.tcpOffset() >= v.ipOffset() + (ipv == 4 ? 20 : 40), "tcpOffset " + v.tcpOffset() + " ip " + v.ipOffset());
        assertTrue(v.tcpOffset() + 20 <= caplen, "TCP header beyond caplen");
        assertEquals(v.tcpOffset() + thl, v.payloadOffset());
        assertTrue(v.srcPort() >= 0 && v.srcPort() <= 65535 && v.dstPort() >= 0 && v.dstPort() <= 65535, "ports");
        assertTrue(v.flags() >= 0 && v.flags() <= 255, "flags " + v.flags());
        assertTrue(v.window() >= 0 && v.window() <= 65535, "window " + v.window());
        assertTrue(v.mss() >= -1 && v.mss() <= 65535, "mss " + v.mss());
        assertTrue(v.windowScale() >= -1 && v.windowScale() <= 255, "windowScale " + v.windowScale());
        if (!v.hasTimestamps()) assertTrue(v.tsVal() == 0 && v.tsEcr() == 0, "TS values without the option");
        if (ipv == 4) {
            assertTrue(v.srcHi() == 0 && (v.srcLo() >>> 32) == 0xffff, "IPv4 source not v4-mapped");
            assertTrue(v.dstHi() == 0 && (v.dstLo() >>> 32) == 0xffff, "IPv4 destination not v4-mapped");
        }
        for (int i = 0; i < v.sackCount(); i++) {
            v.sackLeft(i);   // within the arrays
            v.sackRight(i);
        }
    }

    private static long[] fieldsOnly(long[] snapshot) {
        return Arrays.copyOf(snapshot, snapshot.length - 2);
    }

    private static byte[] ethernetHeader(int ipVersion) {
        byte[] h = new byte[14];
        h[12] = (byte) (ipVersion == 4 ? 0x08 : 0x86);
        h[13] = (byte) (ipVersion == 4 ? 0x00 : 0xdd);
        return h;
    }

    private static byte[] prefix(byte[] head, byte[] data) {
        byte[] out = Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, out, head.length, data.length);
        return out;
    }
}
