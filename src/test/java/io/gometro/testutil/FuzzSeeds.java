package io.gometro.testutil;

import io.gometro.decode.LinkType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the committed seed corpora of the Jazzer targets from the lab's own recordings (a
 * request/response and a bulk connection through the delay bridge) and built packets; nothing
 * here comes from another project's captures. Run once by
 * hand after changing a target's input format:
 * {@code java -cp target/test-classes:target/classes io.gometro.testutil.FuzzSeeds src/test/resources}
 * (the files it writes are committed; the tests do not regenerate them).
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    private static final int SNAP = 96;

    public static void main(String[] args) throws IOException {
        Path res = Path.of(args.length > 0 ? args[0] : "src/test/resources");
        decodeSeeds(res.resolve("io/gometro/decode/DecodeFuzzTestInputs/decode"));
        trackerSeeds(res.resolve("io/gometro/flow/TrackerFuzzTestInputs/tracker"));
    }

    static void decodeSeeds(Path dir) throws IOException {
        Files.createDirectories(dir);
        PcapFile rr = PcapFile.resource("lab/v4-ethernet-rr.pcap"), bulk = PcapFile.resource("lab/v4-ethernet-bulk.pcap");
        for (int i = 0; i < 16; i++) write(dir, "rr-" + i, cut(rr.records().get(i)));
        List<PcapFile.Record> s = bulk.records();
        for (int i = 0; i < s.size(); i++) {
            if (i < 8 || i % 80 == 0 || i >= s.size() - 4) write(dir, "bulk-" + i, cut(s.get(i)));
        }
        PcapFile v6 = PcapFile.resource("lab/v6-ethernet-rr.pcap");
        for (int i = 0; i < 4; i++) write(dir, "rr6-" + i, cut(v6.records().get(i)));
        PcapFile head = rr.withRecords(LinkType.ETHERNET, rr.records().subList(0, 4));
        writeAll(dir, "sll", Captures.toSll(head));
        writeAll(dir, "sll2", Captures.toSll2(head));
        writeAll(dir, "vlan", Captures.vlan(head, 42));
        writeAll(dir, "qinq", Captures.qinq(head, 7, 42));
        writeAll(dir, "raw", Captures.toRaw(head));

        int a = 0x10;
        write(dir, "v6-plain", Packets.tcp().src("fd00::1", 1234).dst("fd00::2", 80).payload(20).ts(5, 6).ethernet());
        write(dir, "v6-ext", Packets.tcp().src("fd00::1", 1234).dst("fd00::2", 80)
                .v6Ext(0, 1).v6Ext(60, 2).v6Ext(43, 1).v6Ext(51, 4).payload(10).ethernet());
        write(dir, "v6-atomic-frag", Packets.tcp().src("fd00::1", 1234).dst("fd00::2", 80).fragment(0, false).ethernet());
        write(dir, "v6-frag", Packets.tcp().src("fd00::1", 1234).dst("fd00::2", 80).fragment(3, true).ethernet());
        write(dir, "v4-frag", Packets.tcp().fragment(0, true).payload(8).ethernet());
        write(dir, "v4-options", Packets.tcp().ipv4Options((byte) 7, (byte) 7, (byte) 4, (byte) 0, (byte) 0, (byte) 0, (byte) 0)
                .payload(5).ethernet());
        write(dir, "sack4", Packets.tcp().flags(a).sack(1, 2).sack(3, 4).sack(5, 6).sack(7, 8).ethernet());
        write(dir, "syn-opts", Packets.tcp().flags(0x02).mss(1460).windowScale(7).sackPermitted().ts(1, 0).ethernet());
        write(dir, "bad-opts", Packets.tcp().rawOptions((byte) 8, (byte) 10, (byte) 0, (byte) 5, (byte) 2, (byte) 1, (byte) 5, (byte) 3).ethernet());
        byte[] tso = Packets.tcp().payload(30).ethernet();
        tso[16] = 0; tso[17] = 0; // IPv4 total length 0, as TSO captures show it
        write(dir, "v4-tso-len0", tso);
        byte[] ip = Packets.tcp().payload(4).ts(9, 9).ip();
        for (int af : new int[] {2, 10, 24, 28, 30}) {
            byte[] ipx = af == 2 ? ip : Packets.tcp().src("fd00::1", 1).dst("fd00::2", 2).ip();
            write(dir, "null-af" + af, concat(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(af).array(), ipx));
            write(dir, "loop-af" + af, concat(ByteBuffer.allocate(4).putInt(af).array(), ipx));
        }
    }

    static void trackerSeeds(Path dir) throws IOException {
        Files.createDirectories(dir);
        PcapFile rr = PcapFile.resource("lab/v4-ethernet-rr.pcap"), bulk = PcapFile.resource("lab/v4-ethernet-bulk.pcap");
        write(dir, "rr-lab", rawOps(header(0xFF, 0xE7, 0x00), rr.records().subList(0, 40)));
        List<PcapFile.Record> s = bulk.records();
        write(dir, "bulk-start", rawOps(header(0xFF, 0xE7, 0x00), s.subList(0, 90)));
        write(dir, "bulk-middle", rawOps(header(0x7B, 0x27, 0x00), s.subList(s.size() / 2, s.size() / 2 + 90)));

        // Built ops: handshake, data, partial/full ACKs, a retransmission, SACK, FIN, RST.
        Ops o = new Ops(header(0x3F, 0xFF, 0x08));
        o.op(0, 1, 0x04, 0x02, 0, 0, 0, 0x01, 10);          // SYN 0->1 (TS)
        o.op(1, 0, 0x01, 0x12, 0, 0, 0, 0x01, 150);         // SYN-ACK acks it
        o.op(0, 1, 0x04, 0x10, 0, 0, 0, 0x01, 1);           // ACK
        for (int i = 0; i < 4; i++) o.op(0, 1, 0x04, 0x18, 0, 0, 1000, 0x01, 2); // data
        o.op(1, 0, 0x01, 0x10, 0, -2000, 0, 0x01, 120);     // partial ACK
        o.op(0, 1, 0x14, 0x18, -2000, 0, 1000, 0x01, 5);    // retransmission
        o.op(1, 0, 0x01, 0x10, 0, -1000, 0, 0x01 | 2, 30, -1000, 1000); // ACK + SACK block
        o.op(1, 0, 0x01, 0x10, 0, 0, 0, 0x01 | 8, 30);      // full ACK, stale TSecr
        o.op(0, 1, 0x04, 0x11, 0, 0, 0, 0x01, 3);           // FIN
        o.op(1, 0, 0x01, 0x11, 0, 0, 0, 0x01, 100);         // FIN-ACK
        o.op(2, 1, 0x05, 0x02, 0, 0, 0, 0x00, 245);         // another flow, after a jump
        o.op(1, 2, 0x05, 0x04, 0, 0, 0, 0x00, 255);         // RST, time backwards
        o.op(0, 1, 0x04, 0x02, 0, 0, 0, 0x00, 10);          // port reuse: new SYN
        write(dir, "built-lifecycle", o.bytes());

        // Many flows over a tiny table: eviction; a long unacked run: queue overflow.
        Ops f = new Ops(header(0x01, 0x00, 0x06));
        for (int i = 0; i < 16; i++) f.op(i & 3, (i >> 2) & 3, i & 15, 0x18, 0, 0, 100, 0, 3);
        for (int i = 0; i < 40; i++) f.op(0, 1, 0x00, 0x18, 0, 0, 50, 1, 1);
        f.op(1, 0, 0x00, 0x10, 0, 0, 0, 1, 40);
        write(dir, "built-eviction-overflow", f.bytes());
    }

    private static byte[] header(int config, int ttls, int shape) {
        ByteBuffer b = ByteBuffer.allocate(11);
        b.put((byte) config).put((byte) ttls).put((byte) shape);
        b.putShort((short) 40000).putShort((short) 80).putShort((short) 443).putShort((short) 50001);
        return b.array();
    }

    private static byte[] rawOps(byte[] header, List<PcapFile.Record> records) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(header);
        long prev = records.get(0).tsNanos();
        for (PcapFile.Record r : records) {
            byte[] d = Arrays.copyOf(r.data(), Math.min(r.caplen(), 128));
            long us = Math.min((r.tsNanos() - prev) / 1000, 0xFFFFFF);
            prev = r.tsNanos();
            o.write(0xE0);
            o.write(d.length >>> 8);
            o.write(d.length);
            o.writeBytes(d);
            o.write((int) (us >>> 16));
            o.write((int) (us >>> 8));
            o.write((int) us);
        }
        return o.toByteArray();
    }

    /** Encodes built-packet ops in TrackerFuzzTest's format. */
    private static final class Ops {
        final ByteArrayOutputStream o = new ByteArrayOutputStream();

        Ops(byte[] header) { o.writeBytes(header); }

        void op(int src, int dst, int ports, int flags, int seqOff, int ackOff, int payload, int opts, int step,
                int... sack) {
            o.write(src | dst << 2);
            o.write(ports);
            o.write(flags);
            s16(seqOff);
            s16(ackOff);
            s16(payload);
            o.write(opts);
            for (int v : sack) s16(v);
            o.write(step);
        }

        private void s16(int v) { o.write(v >>> 8); o.write(v); }

        byte[] bytes() { return o.toByteArray(); }
    }

    private static byte[] cut(PcapFile.Record r) {
        return Arrays.copyOf(r.data(), Math.min(r.caplen(), SNAP));
    }

    private static void writeAll(Path dir, String prefix, PcapFile f) throws IOException {
        List<PcapFile.Record> rs = new ArrayList<>(f.records());
        for (int i = 0; i < rs.size(); i++) write(dir, prefix + "-" + i, cut(rs.get(i)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void write(Path dir, String name, byte[] data) throws IOException {
        Files.write(dir.resolve("seed-" + name), data);
    }
}
