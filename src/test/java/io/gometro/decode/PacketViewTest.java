package io.gometro.decode;

import static io.gometro.decode.PacketView.*;
import static org.junit.jupiter.api.Assertions.*;

import io.gometro.testutil.Captures;
import io.gometro.testutil.DecodedPacket;
import io.gometro.testutil.PcapFile;
import io.gometro.testutil.Packets;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PacketViewTest {
    private final PacketView v = new PacketView();

    private int decode(byte[] b, int linkType) {
        return v.decode(MemorySegment.ofArray(b), 0, b.length, linkType);
    }

    private static Packets.Builder sample4() {
        return Packets.tcp().src("192.0.2.1", 40000).dst("198.51.100.7", 443)
                .seq(0x8000_0001).ack(0xfedc_ba98).flags(ACK | PSH).window(501).payload(100).ts(0xdead_beef, 7);
    }

    private static Packets.Builder sample6() {
        return Packets.tcp().src("2001:db8::1", 40000).dst("2001:db8:0:1::2", 443)
                .seq(12345).ack(678).flags(ACK).payload(33).ts(1, 2);
    }

    private void assertSample4() {
        assertEquals(4, v.ipVersion());
        assertEquals(0, v.srcHi());
        assertEquals(0x0000_ffff_c000_0201L, v.srcLo());
        assertEquals(0, v.dstHi());
        assertEquals(0x0000_ffff_c633_6407L, v.dstLo());
        assertEquals(40000, v.srcPort());
        assertEquals(443, v.dstPort());
        assertEquals(0x8000_0001, v.seq());
        assertEquals(0xfedc_ba98, v.ack());
        assertEquals(ACK | PSH, v.flags());
        assertEquals(501, v.window());
        assertEquals(100, v.payloadLength());
        assertTrue(v.hasTimestamps());
        assertEquals(0xdead_beef, v.tsVal());
        assertEquals(7, v.tsEcr());
        assertEquals(0, v.sackCount());
    }

    @Test
    void ethernetIpv4() {
        assertEquals(OK, decode(sample4().ethernet(), LinkType.ETHERNET));
        assertSample4();
        assertEquals(14, v.ipOffset());
        assertEquals(34, v.tcpOffset());
        assertEquals(32, v.tcpHeaderLength());
        assertEquals(66, v.payloadOffset());
    }

    @Test
    void ethernetIpv6() {
        assertEquals(OK, decode(sample6().ethernet(), LinkType.ETHERNET));
        assertEquals(6, v.ipVersion());
        assertEquals(0x2001_0db8_0000_0000L, v.srcHi());
        assertEquals(1L, v.srcLo());
        assertEquals(0x2001_0db8_0000_0001L, v.dstHi());
        assertEquals(2L, v.dstLo());
        assertEquals(12345, v.seq());
        assertEquals(678, v.ack());
        assertEquals(33, v.payloadLength());
        assertEquals(54, v.tcpOffset());
    }

    /** Every tag stack up to the bound decodes to the same fields; one more is refused. */
    @Test
    void vlanTagStacks() {
        PcapFile eth = new PcapFile(LinkType.ETHERNET, 65535, List.of(sample4().record(0), sample6().record(1)));
        List<DecodedPacket> want = DecodedPacket.decodeAll(eth);
        int[] tpidChoices = {0x8100, 0x88a8, 0x9100};
        for (int depth = 1; depth <= MAX_VLAN_TAGS; depth++) {
            for (int first : tpidChoices) {
                int[] tpids = new int[depth], vids = new int[depth];
                for (int i = 0; i < depth; i++) { tpids[i] = i == 0 ? first : 0x8100; vids[i] = 100 + i; }
                PcapFile tagged = Captures.tagged(eth, tpids, vids);
                assertEquals(want, DecodedPacket.decodeAll(tagged), "depth " + depth + " tpid " + first);
                assertEquals(14 + 4 * depth, v.decode(MemorySegment.ofArray(tagged.records().get(0).data()), 0,
                        tagged.records().get(0).caplen(), LinkType.ETHERNET) == OK ? v.ipOffset() : -1);
            }
        }
        int[] deep = new int[MAX_VLAN_TAGS + 1];
        Arrays.fill(deep, 0x8100);
        PcapFile tooDeep = Captures.tagged(eth, deep, new int[deep.length]);
        for (DecodedPacket d : DecodedPacket.decodeAll(tooDeep)) assertEquals(MALFORMED, d.result());
        // The convenience shapes used elsewhere.
        assertEquals(want, DecodedPacket.decodeAll(Captures.vlan(eth, 42)));
        assertEquals(want, DecodedPacket.decodeAll(Captures.qinq(eth, 7, 42)));
    }

    @Test
    void linuxCookedV1AndV2() {
        PcapFile eth = new PcapFile(LinkType.ETHERNET, 65535, List.of(sample4().record(0), sample6().record(1)));
        List<DecodedPacket> want = DecodedPacket.decodeAll(eth);
        PcapFile sll = Captures.toSll(eth), sll2 = Captures.toSll2(eth);
        assertEquals(want, DecodedPacket.decodeAll(sll));
        assertEquals(want, DecodedPacket.decodeAll(sll2));
        assertEquals(OK, decode(sll.records().get(0).data(), LinkType.LINUX_SLL));
        assertEquals(16, v.ipOffset());
        assertEquals(OK, decode(sll2.records().get(0).data(), LinkType.LINUX_SLL2));
        assertEquals(20, v.ipOffset());
        // The same bytes under the wrong link type must not pass as the right packet.
        assertNotEquals(OK, decode(sll2.records().get(0).data(), LinkType.LINUX_SLL));
    }

    @Test
    void rawLinkTypes() {
        byte[] ip4 = sample4().ip(), ip6 = sample6().ip();
        for (int lt : new int[] {LinkType.RAW, LinkType.RAW_DLT, LinkType.RAW_DLT_OPENBSD}) {
            assertEquals(OK, decode(ip4, lt));
            assertSample4();
            assertEquals(OK, decode(ip6, lt));
            assertEquals(6, v.ipVersion());
        }
        assertEquals(OK, decode(ip4, LinkType.IPV4));
        assertSample4();
        assertEquals(OK, decode(ip6, LinkType.IPV6));
        assertEquals(6, v.ipVersion());
        // IPV4/IPV6 promise the family: a mismatch is malformed.
        assertEquals(MALFORMED, decode(ip6, LinkType.IPV4));
        assertEquals(MALFORMED, decode(ip4, LinkType.IPV6));
        byte[] notIp = ip4.clone();
        notIp[0] = 0x55;
        assertEquals(NOT_TCP, decode(notIp, LinkType.RAW));
        assertEquals(TRUNCATED, decode(new byte[0], LinkType.RAW));
    }

    private static byte[] withAf(byte[] ip, int af, ByteOrder order) {
        return ByteBuffer.allocate(4 + ip.length).order(order).putInt(af).put(ip).array();
    }

    @Test
    void bsdNullBothByteOrders() {
        byte[] ip4 = sample4().ip(), ip6 = sample6().ip();
        for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            assertEquals(OK, decode(withAf(ip4, 2, o), LinkType.NULL), o.toString());
            assertSample4();
            for (int af6 : new int[] {10, 24, 28, 30}) {
                assertEquals(OK, decode(withAf(ip6, af6, o), LinkType.NULL), af6 + " " + o);
                assertEquals(6, v.ipVersion());
                assertEquals(4, v.ipOffset());
            }
            assertEquals(NOT_TCP, decode(withAf(ip4, 17, o), LinkType.NULL));
        }
    }

    @Test
    void bsdLoopIsNetworkOrder() {
        byte[] ip4 = sample4().ip(), ip6 = sample6().ip();
        assertEquals(OK, decode(withAf(ip4, 2, ByteOrder.BIG_ENDIAN), LinkType.LOOP));
        assertSample4();
        assertEquals(OK, decode(withAf(ip6, 24, ByteOrder.BIG_ENDIAN), LinkType.LOOP));
        assertEquals(6, v.ipVersion());
        assertEquals(NOT_TCP, decode(withAf(ip4, 2, ByteOrder.LITTLE_ENDIAN), LinkType.LOOP));
    }

    @Test
    void unknownLinkAndNonIpEthertypes() {
        byte[] f = sample4().ethernet();
        assertEquals(UNSUPPORTED_LINK, decode(f, 105)); // 802.11
        assertEquals(UNSUPPORTED_LINK, decode(f, -1));
        byte[] arp = f.clone();
        arp[12] = 0x08; arp[13] = 0x06;
        assertEquals(NOT_TCP, decode(arp, LinkType.ETHERNET));
        byte[] llc = f.clone();
        llc[12] = 0x00; llc[13] = 0x40; // an 802.3 length, not an ethertype
        assertEquals(NOT_TCP, decode(llc, LinkType.ETHERNET));
    }

    @Test
    void ipv4OptionsAreSkipped() {
        // Record route (7), length 11, pointer 4, room for two addresses; padded to 12 bytes.
        byte[] rr = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] f = sample4().ipv4Options(rr).ethernet();
        assertEquals(OK, decode(f, LinkType.ETHERNET));
        assertSample4();
        assertEquals(14 + 32, v.tcpOffset());
        // Maximum IHL: 40 bytes of options.
        byte[] max = new byte[40];
        Arrays.fill(max, (byte) 1);
        assertEquals(OK, decode(sample4().ipv4Options(max).ethernet(), LinkType.ETHERNET));
        assertSample4();
        assertEquals(14 + 60, v.tcpOffset());
    }

    @Test
    void ipv4HeaderChecks() {
        byte[] f = sample4().ethernet();
        byte[] b = f.clone();
        b[14] = 0x44; // IHL 4*4 = 16 < 20
        assertEquals(MALFORMED, decode(b, LinkType.ETHERNET));
        b = f.clone();
        b[14] = 0x65; // version 6 under ethertype IPv4
        assertEquals(MALFORMED, decode(b, LinkType.ETHERNET));
        b = f.clone();
        b[14 + 9] = 17; // UDP
        assertEquals(NOT_TCP, decode(b, LinkType.ETHERNET));
        b = f.clone();
        setU16(b, 16, 30); // total length < IHL + TCP header
        assertEquals(MALFORMED, decode(b, LinkType.ETHERNET));
        b = f.clone();
        setU16(b, 16, 19); // total length < IHL
        assertEquals(MALFORMED, decode(b, LinkType.ETHERNET));
        b = f.clone();
        setU16(b, 16, 20 + 32 - 1); // shorter than the TCP header's data offset
        assertEquals(MALFORMED, decode(b, LinkType.ETHERNET));
    }

    @Test
    void payloadLengthComesFromIpNotCaplen() {
        byte[] f = sample4().payload(1400).ethernet();
        // Captured with snaplen 96: the headers are all there, the payload is cut.
        assertEquals(OK, v.decode(MemorySegment.ofArray(f), 0, 96, LinkType.ETHERNET));
        assertEquals(1400, v.payloadLength());
        byte[] f6 = sample6().payload(1400).ethernet();
        assertEquals(OK, v.decode(MemorySegment.ofArray(f6), 0, 96, LinkType.ETHERNET));
        assertEquals(1400, v.payloadLength());
        // Ethernet padding after a short IP datagram must not count as payload.
        byte[] small = sample4().payload(0).ethernet();
        byte[] padded = Arrays.copyOf(small, small.length + 6);
        assertEquals(OK, decode(padded, LinkType.ETHERNET));
        assertEquals(0, v.payloadLength());
    }

    @Test
    void zeroIpLengthFromSegmentationOffloadUsesCapturedBytes() {
        byte[] f = sample4().ethernet();
        setU16(f, 16, 0);
        assertEquals(OK, decode(f, LinkType.ETHERNET));
        assertEquals(100, v.payloadLength());
        byte[] f6 = sample6().ethernet();
        setU16(f6, 18, 0);
        assertEquals(OK, decode(f6, LinkType.ETHERNET));
        assertEquals(33, v.payloadLength());
    }

    @Test
    void ipv4Fragments() {
        assertEquals(FRAGMENT, decode(sample4().fragment(0, true).ethernet(), LinkType.ETHERNET));
        assertEquals(FRAGMENT, decode(sample4().fragment(185, false).ethernet(), LinkType.ETHERNET));
        assertEquals(FRAGMENT, decode(sample4().fragment(185, true).ethernet(), LinkType.ETHERNET));
        // DF alone (the builder's default) is a whole datagram.
        assertEquals(OK, decode(sample4().ethernet(), LinkType.ETHERNET));
    }

    @Test
    void ipv6ExtensionHeaders() {
        Packets.Builder b = sample6().v6Ext(0, 1).v6Ext(60, 2).v6Ext(43, 1).v6Ext(51, 4).v6Ext(60, 1);
        assertEquals(OK, decode(b.ethernet(), LinkType.ETHERNET));
        assertEquals(6, v.ipVersion());
        assertEquals(33, v.payloadLength());
        assertEquals(12345, v.seq());
        assertEquals(14 + 40 + 8 + 16 + 8 + 16 + 8, v.tcpOffset());
        assertTrue(v.hasTimestamps());
    }

    @Test
    void ipv6Fragments() {
        assertEquals(FRAGMENT, decode(sample6().fragment(0, true).ethernet(), LinkType.ETHERNET));
        assertEquals(FRAGMENT, decode(sample6().fragment(10, false).ethernet(), LinkType.ETHERNET));
        assertEquals(FRAGMENT, decode(sample6().v6Ext(0, 1).fragment(10, true).ethernet(), LinkType.ETHERNET));
        // An atomic fragment (RFC 6946) is a complete datagram.
        assertEquals(OK, decode(sample6().fragment(0, false).ethernet(), LinkType.ETHERNET));
        assertEquals(33, v.payloadLength());
        assertEquals(14 + 48, v.tcpOffset());
    }

    @Test
    void ipv6NonTcpAndBadChains() {
        byte[] f = sample6().ethernet();
        for (int next : new int[] {50, 59, 58, 17}) {
            byte[] b = f.clone();
            b[14 + 6] = (byte) next;
            assertEquals(NOT_TCP, decode(b, LinkType.ETHERNET), "next header " + next);
        }
        // A chain longer than the walk bound.
        Packets.Builder lng = sample6();
        for (int i = 0; i < MAX_IPV6_EXT_HEADERS; i++) lng.v6Ext(60, 1);
        assertEquals(MALFORMED, decode(lng.ethernet(), LinkType.ETHERNET));
        Packets.Builder justFits = sample6();
        for (int i = 0; i < MAX_IPV6_EXT_HEADERS - 1; i++) justFits.v6Ext(60, 1);
        assertEquals(OK, decode(justFits.ethernet(), LinkType.ETHERNET));
        // An extension header longer than the payload length says.
        byte[] ext = sample6().payload(0).v6Ext(60, 1).ethernet();
        ext[14 + 40 + 1] = 10; // 88 bytes
        assertEquals(MALFORMED, decode(ext, LinkType.ETHERNET));
        // Payload length 0 with hop-by-hop: a jumbogram, which we do not decode.
        byte[] jumbo = sample6().v6Ext(0, 1).ethernet();
        setU16(jumbo, 14 + 4, 0);
        assertEquals(MALFORMED, decode(jumbo, LinkType.ETHERNET));
        // Payload length too small for the TCP header.
        byte[] shortLen = sample6().ethernet();
        setU16(shortLen, 14 + 4, 19);
        assertEquals(MALFORMED, decode(shortLen, LinkType.ETHERNET));
    }

    @Test
    void tcpDataOffsetBelowFiveIsMalformed() {
        for (int doff = 0; doff < 5; doff++) {
            byte[] f = sample4().ethernet();
            f[34 + 12] = (byte) (doff << 4);
            assertEquals(MALFORMED, decode(f, LinkType.ETHERNET), "data offset " + doff);
        }
    }

    @Test
    void synOptions() {
        byte[] f = Packets.tcp().flags(SYN).mss(1460).windowScale(7).sackPermitted().ts(100, 0).ethernet();
        assertEquals(OK, decode(f, LinkType.ETHERNET));
        assertEquals(SYN, v.flags());
        assertTrue(v.has(SYN));
        assertFalse(v.has(ACK));
        assertEquals(1460, v.mss());
        assertEquals(7, v.windowScale());
        assertTrue(v.sackPermitted());
        assertTrue(v.hasTimestamps());
        assertEquals(100, v.tsVal());
        assertEquals(0, v.tsEcr());
        // A packet without options resets what the previous one had.
        assertEquals(OK, decode(Packets.tcp().ethernet(), LinkType.ETHERNET));
        assertEquals(-1, v.mss());
        assertEquals(-1, v.windowScale());
        assertFalse(v.sackPermitted());
        assertFalse(v.hasTimestamps());
    }

    @Test
    void sackBlocks() {
        for (int n = 1; n <= MAX_SACK; n++) {
            Packets.Builder b = Packets.tcp().src("2001:db8::a", 22).dst("2001:db8::b", 5555);
            if (n < 4) b.ts(5, 6);
            for (int i = 0; i < n; i++) b.sack(0xffff_fff0 + 1000 * i, 0xffff_fff0 + 1000 * i + 500);
            assertEquals(OK, decode(b.ethernet(), LinkType.ETHERNET));
            assertEquals(n, v.sackCount());
            for (int i = 0; i < n; i++) {
                assertEquals(0xffff_fff0 + 1000 * i, v.sackLeft(i));
                assertEquals(0xffff_fff0 + 1000 * i + 500, v.sackRight(i));
            }
            assertEquals(n < 4, v.hasTimestamps());
        }
        // A packet without SACK resets the count.
        assertEquals(OK, decode(Packets.tcp().ethernet(), LinkType.ETHERNET));
        assertEquals(0, v.sackCount());
    }

    @Test
    void badOptionLengthsStopOptionsButKeepThePacket() {
        byte[] ts = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8};
        // Timestamps first, then garbage: the TS is kept.
        assertOptions(concat(ts, new byte[] {5, 3, 0, 0}), true, 0);
        // SACK lengths that are not 2 + 8n with n in 1..4.
        // (n = 5 would need 42 bytes: more than a TCP header holds, so it is cut either way.)
        for (int len : new int[] {2, 3, 9, 11, 12, 33, 42}) {
            byte[] o = new byte[40];
            o[0] = 5; o[1] = (byte) len;
            assertOptions(o, false, 0);
        }
        // Length 0 or 1 would loop forever or go backwards: stop.
        assertOptions(new byte[] {30, 0, 0, 0}, false, 0);
        assertOptions(new byte[] {30, 1, 0, 0}, false, 0);
        // TS with a wrong length.
        assertOptions(new byte[] {8, 8, 0, 0, 0, 1, 0, 0}, false, 0);
        // An option running past the header's end.
        assertOptions(new byte[] {1, 1, 8, 10, 0, 0, 0, 9}, false, 0);
        // EOL ends the list: a TS after it is not read.
        assertOptions(concat(new byte[] {0, 0, 0, 0}, ts), false, 0);
        // Unknown options are skipped by their length.
        assertOptions(concat(new byte[] {30, 4, 0, 0}, ts), true, 0);
        // A SACK block after TS.
        assertOptions(concat(ts, new byte[] {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2}), true, 1);
    }

    private void assertOptions(byte[] opts, boolean ts, int sacks) {
        byte[] f = Packets.tcp().payload(10).rawOptions(opts).ethernet();
        assertEquals(OK, decode(f, LinkType.ETHERNET), Arrays.toString(opts));
        assertEquals(10, v.payloadLength());
        assertEquals(ts, v.hasTimestamps(), Arrays.toString(opts));
        if (ts) {
            assertEquals(9, v.tsVal());
            assertEquals(8, v.tsEcr());
        }
        assertEquals(sacks, v.sackCount(), Arrays.toString(opts));
    }

    @Test
    void optionsCutByCaplenKeepWhatWasRead() {
        byte[] f = Packets.tcp().mss(1400).ts(3, 4).sack(10, 20).ethernet();
        int opts = 34 + 20; // first option byte
        // The whole header but the last SACK byte: MSS and TS read, SACK not.
        assertEquals(OK, v.decode(MemorySegment.ofArray(f), 0, f.length - 1, LinkType.ETHERNET));
        assertEquals(1400, v.mss());
        assertTrue(v.hasTimestamps());
        assertEquals(0, v.sackCount());
        // Only the fixed header: no options at all, still OK.
        assertEquals(OK, v.decode(MemorySegment.ofArray(f), 0, opts, LinkType.ETHERNET));
        assertEquals(-1, v.mss());
        assertFalse(v.hasTimestamps());
    }

    @Test
    void decodesAtAnOffsetInsideALargerSegment() {
        byte[] f = sample4().ethernet();
        byte[] big = new byte[f.length + 1000];
        Arrays.fill(big, (byte) 0xee);
        System.arraycopy(f, 0, big, 333, f.length);
        assertEquals(OK, v.decode(MemorySegment.ofArray(big), 333, f.length, LinkType.ETHERNET));
        assertSample4();
        assertEquals(14, v.ipOffset()); // offsets are relative to the packet
    }

    /** The production shape: one segment over all memory, the offset a native address. */
    @Test
    void nativeMemoryThroughAGlobalSegment() {
        byte[] f = sample6().v6Ext(0, 1).ethernet();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment pkt = arena.allocate(f.length + 3);
            MemorySegment.copy(f, 0, pkt, java.lang.foreign.ValueLayout.JAVA_BYTE, 3, f.length);
            MemorySegment all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
            assertEquals(OK, v.decode(all, pkt.address() + 3, f.length, LinkType.ETHERNET));
            assertEquals(12345, v.seq());
            assertEquals(33, v.payloadLength());
            assertEquals(0x2001_0db8_0000_0001L, v.dstHi());
        }
    }

    @Test
    void impossibleArgumentsDoNotThrow() {
        byte[] f = sample4().ethernet();
        MemorySegment s = MemorySegment.ofArray(f);
        assertEquals(TRUNCATED, v.decode(s, 0, -1, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(s, -5, 10, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(s, 0, f.length + 1, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(s, 10, f.length, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(s, Long.MAX_VALUE, 10, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(null, 0, 10, LinkType.ETHERNET));
        assertEquals(TRUNCATED, v.decode(s, f.length, 0, LinkType.ETHERNET));
    }

    @Test
    void resultNames() {
        assertEquals("OK", resultName(OK));
        assertEquals("FRAGMENT", resultName(FRAGMENT));
        assertEquals("UNKNOWN(42)", resultName(42));
    }

    private static void setU16(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
