package io.gometro.decode;

import static io.gometro.decode.PacketView.*;
import static org.junit.jupiter.api.Assertions.*;

import io.gometro.testutil.Captures;
import io.gometro.testutil.DecodedPacket;
import io.gometro.testutil.PcapFile;
import io.gometro.testutil.Packets;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: every prefix of valid packets of every kind, random bytes under every link
 * type, and random corruptions of valid packets. Heap segments sized exactly to caplen make
 * any read past caplen throw, so "no exception" here means "no out-of-range read".
 */
class PacketViewRobustnessTest {
    private static final int[] ALL_LINKS = {LinkType.NULL, LinkType.ETHERNET, LinkType.RAW_DLT,
            LinkType.RAW_DLT_OPENBSD, LinkType.RAW, LinkType.LOOP, LinkType.LINUX_SLL, LinkType.IPV4,
            LinkType.IPV6, LinkType.LINUX_SLL2, 2, 105, 127, 147};

    /** A valid packet and its link type. */
    record Sample(String name, byte[] data, int linkType) {}

    static List<Sample> samples() {
        List<Packets.Builder> builders = List.of(
                Packets.tcp().flags(SYN).mss(1460).windowScale(7).sackPermitted().ts(1, 0),
                Packets.tcp().payload(50).ts(0x7fff_ffff, 0x8000_0000).sack(1, 2).sack(3, 4).sack(5, 6),
                Packets.tcp().payload(3).ipv4Options(new byte[] {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0}),
                Packets.tcp().src("2001:db8::1", 1).dst("2001:db8::2", 2).payload(7).ts(9, 9)
                        .v6Ext(0, 1).v6Ext(60, 2).v6Ext(43, 1).v6Ext(51, 4).fragment(0, false),
                Packets.tcp().src("fe80::1", 1).dst("fe80::2", 2).sack(1, 2).sack(3, 4).sack(5, 6).sack(7, 8));
        List<PcapFile.Record> recs = new ArrayList<>();
        for (Packets.Builder b : builders) recs.add(b.record(0));
        PcapFile eth = new PcapFile(LinkType.ETHERNET, 65535, recs);
        List<Sample> out = new ArrayList<>();
        addAll(out, "ethernet", eth);
        addAll(out, "vlan", Captures.vlan(eth, 5));
        addAll(out, "qinq", Captures.qinq(eth, 5, 6));
        addAll(out, "sll", Captures.toSll(eth));
        addAll(out, "sll2", Captures.toSll2(eth));
        PcapFile raw = Captures.toRaw(eth);
        addAll(out, "raw", raw);
        for (PcapFile.Record r : raw.records()) {
            int v = (r.data()[0] >>> 4) & 0xf;
            out.add(new Sample("ipv" + v, r.data(), v == 4 ? LinkType.IPV4 : LinkType.IPV6));
            int af = v == 4 ? 2 : 30;
            out.add(new Sample("null", ByteBuffer.allocate(4 + r.caplen()).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putInt(af).put(r.data()).array(), LinkType.NULL));
            out.add(new Sample("loop", ByteBuffer.allocate(4 + r.caplen()).putInt(af == 30 ? 24 : 2)
                    .put(r.data()).array(), LinkType.LOOP));
        }
        return out;
    }

    private static void addAll(List<Sample> out, String name, PcapFile f) {
        for (PcapFile.Record r : f.records()) out.add(new Sample(name, r.data(), f.linkType()));
    }

    @Test
    void everyPrefixOfEveryValidPacket() {
        PacketView v = new PacketView();
        int okPrefixes = 0;
        for (Sample s : samples()) {
            DecodedPacket full = DecodedPacket.decode(s.data(), s.linkType());
            assertTrue(full.ok(), s.name() + " " + full);
            v.decode(MemorySegment.ofArray(s.data()), 0, s.data().length, s.linkType());
            int needed = v.tcpOffset() + 20; // the fixed TCP header must be captured
            byte[] padded = new byte[s.data().length + 64];
            Arrays.fill(padded, (byte) 0xff); // garbage after caplen must not matter
            System.arraycopy(s.data(), 0, padded, 17, s.data().length);
            for (int k = 0; k <= s.data().length; k++) {
                byte[] prefix = Arrays.copyOf(s.data(), k);
                int r = v.decode(MemorySegment.ofArray(prefix), 0, k, s.linkType());
                DecodedPacket got = DecodedPacket.of(r, v);
                String where = s.name() + " prefix " + k + "/" + s.data().length;
                assertEquals(k >= needed ? OK : TRUNCATED, r, where);
                int r2 = v.decode(MemorySegment.ofArray(padded), 17, k, s.linkType());
                assertEquals(got, DecodedPacket.of(r2, v), where + " (inside a larger buffer)");
                if (r == OK) {
                    okPrefixes++;
                    // Header fields equal the whole packet's; options may be missing but never wrong.
                    assertEquals(full.srcLo(), got.srcLo(), where);
                    assertEquals(full.dstHi(), got.dstHi(), where);
                    assertEquals(full.seq(), got.seq(), where);
                    assertEquals(full.ack(), got.ack(), where);
                    assertEquals(full.flags(), got.flags(), where);
                    assertEquals(full.payloadLength(), got.payloadLength(), where);
                    if (got.hasTimestamps()) assertEquals(full.tsVal(), got.tsVal(), where);
                    assertTrue(got.sackLeft().length <= full.sackLeft().length, where);
                    if (k == s.data().length) assertEquals(full, got, where);
                }
            }
        }
        assertTrue(okPrefixes > 100, "prefixes that decoded: " + okPrefixes);
    }

    @Test
    void randomBytesUnderEveryLinkType() {
        Random rnd = new Random(0x5eed);
        PacketView v = new PacketView();
        int[] results = new int[6];
        for (int lt : ALL_LINKS) {
            for (int i = 0; i < 20_000; i++) {
                byte[] b = new byte[rnd.nextInt(160)];
                rnd.nextBytes(b);
                // Steer a share of the inputs past the link layer so the IP and TCP code is fuzzed too.
                if (rnd.nextBoolean()) steer(b, lt, rnd);
                int r = v.decode(MemorySegment.ofArray(b), 0, b.length, lt);
                assertTrue(r >= OK && r <= MALFORMED, "result " + r);
                if (r == OK) assertTrue(v.tcpOffset() + 20 <= b.length);
                results[r]++;
            }
        }
        // The fuzz reached every outcome, so it exercised every layer.
        for (int r = 0; r <= MALFORMED; r++) assertTrue(results[r] > 0, resultName(r) + " never seen: " + Arrays.toString(results));
    }

    /** Writes a plausible link header and IP version/protocol so random bytes reach deeper layers. */
    private static void steer(byte[] b, int lt, Random rnd) {
        boolean v6 = rnd.nextBoolean();
        int ip;
        switch (lt) {
            case LinkType.ETHERNET -> { ip = 14; put16(b, 12, v6 ? 0x86dd : 0x0800); }
            case LinkType.LINUX_SLL -> { ip = 16; put16(b, 14, v6 ? 0x86dd : 0x0800); }
            case LinkType.LINUX_SLL2 -> { ip = 20; put16(b, 0, v6 ? 0x86dd : 0x0800); }
            case LinkType.NULL, LinkType.LOOP -> { ip = 4; put16(b, 0, 0); put16(b, 2, v6 ? 24 : 2); }
            case LinkType.IPV4 -> { ip = 0; v6 = false; }
            case LinkType.IPV6 -> { ip = 0; v6 = true; }
            default -> ip = 0;
        }
        if (b.length > ip) b[ip] = (byte) (v6 ? 0x60 : 0x45);
        if (!v6 && b.length > ip + 9) { b[ip + 9] = 6; b[ip + 6] &= (byte) 0x40; b[ip + 7] = 0; }
        if (v6 && b.length > ip + 6) b[ip + 6] = (byte) (rnd.nextInt(4) == 0 ? 0 : 6);
        if (!v6 && b.length > ip + 3 && rnd.nextBoolean()) put16(b, ip + 2, b.length - ip);
        if (v6 && b.length > ip + 5 && rnd.nextBoolean()) put16(b, ip + 4, Math.max(0, b.length - ip - 40));
    }

    private static void put16(byte[] b, int at, int v) {
        if (b.length > at + 1) { b[at] = (byte) (v >>> 8); b[at + 1] = (byte) v; }
    }

    @Test
    void corruptedValidPackets() {
        Random rnd = new Random(42);
        PacketView v = new PacketView();
        int ok = 0, notOk = 0;
        for (Sample s : samples()) {
            for (int i = 0; i < 3_000; i++) {
                byte[] b = s.data().clone();
                int flips = 1 + rnd.nextInt(4);
                for (int f = 0; f < flips; f++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                int len = rnd.nextInt(4) == 0 ? rnd.nextInt(b.length + 1) : b.length;
                byte[] cut = Arrays.copyOf(b, len);
                int r = v.decode(MemorySegment.ofArray(cut), 0, len, s.linkType());
                if (r == OK) {
                    ok++;
                    assertTrue(v.tcpOffset() + 20 <= len, s.name());
                    assertTrue(v.payloadLength() >= 0 && v.payloadLength() <= 65535, s.name());
                    assertTrue(v.sackCount() >= 0 && v.sackCount() <= MAX_SACK);
                } else {
                    notOk++;
                }
            }
        }
        assertTrue(ok > 1000 && notOk > 1000, "ok " + ok + " not ok " + notOk);
    }

    /** decode must not allocate: measured with the JVM's per-thread allocation counter. */
    @Test
    void decodeAllocatesNothing() {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
        List<Sample> samples = samples();
        MemorySegment[] segs = new MemorySegment[samples.size()];
        int[] lens = new int[segs.length], lts = new int[segs.length];
        for (int i = 0; i < segs.length; i++) {
            segs[i] = MemorySegment.ofArray(samples.get(i).data());
            lens[i] = samples.get(i).data().length;
            lts[i] = samples.get(i).linkType();
        }
        PacketView v = new PacketView();
        long sink = 0;
        for (int round = 0; round < 3; round++) { // warm-up then measure: the interpreter and C1/C2 all count
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int n = 0; n < 20_000; n++) {
                for (int i = 0; i < segs.length; i++) sink += v.decode(segs[i], 0, lens[i], lts[i]) + v.seq();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round == 2) {
                int decodes = 20_000 * segs.length;
                // Steady state (JIT-compiled, as in production; the first round includes class set-up).
                // Slack for the counter itself; one object per decode would be >= 16 B each.
                assertTrue(allocated < 4096, allocated + " bytes allocated over " + decodes + " decodes");
            }
        }
        assertNotEquals(Long.MIN_VALUE, sink);
    }
}
