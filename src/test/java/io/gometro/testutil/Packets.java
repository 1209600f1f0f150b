package io.gometro.testutil;

import java.io.ByteArrayOutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-made TCP packets for decode and flow tests. The family follows the addresses
 * (IPv6 when the source literal contains ':'); checksums are filled in so that tshark and
 * tcpdump accept the packets written to a file.
 *
 * <pre>{@code
 * byte[] frame = Packets.tcp().src("10.0.0.1", 40000).dst("10.0.0.2", 80)
 *         .seq(1000).ack(2000).flags(PacketView.ACK | PacketView.PSH)
 *         .payload(100).ts(123, 456).sack(10, 20)
 *         .ethernet();
 * PcapFile.Record r = Packets.tcp()...record(tsNanos);   // Ethernet, for a PcapFile
 * }</pre>
 *
 * <p>TCP options are written in the order MSS, window scale, SACK-permitted, timestamps,
 * SACK, each NOP-aligned to 4 bytes as Linux does; {@link Builder#rawOptions} replaces
 * them by arbitrary bytes (for malformed-option tests).
 */
public final class Packets {
    private Packets() {}

    public static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x0a};
    public static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x0b};

    /** A new builder: 10.0.0.1:40000 → 10.0.0.2:80, ACK, seq 1, ack 1, no payload, no options. */
    public static Builder tcp() {
        return new Builder();
    }

    /** Builder of one TCP packet; every setter returns {@code this}. */
    public static final class Builder {
        private InetAddress src = literal("10.0.0.1"), dst = literal("10.0.0.2");
        private int srcPort = 40000, dstPort = 80;
        private int seq = 1, ack = 1, flags = 0x10, window = 65535;
        private int payload;
        private int mss = -1, wscale = -1;
        private boolean sackPermitted;
        private boolean ts;
        private int tsVal, tsEcr;
        private final List<int[]> sack = new ArrayList<>();
        private byte[] rawOptions;
        private byte[] ipv4Options = new byte[0];
        private final ByteArrayOutputStream v6Ext = new ByteArrayOutputStream();
        private final List<Integer> v6ExtTypes = new ArrayList<>();
        private int fragOffset8; // in 8-byte units
        private boolean moreFragments;
        private boolean v4Fragment;
        private int ipId = 1;
        private byte[] srcMac = MAC_A, dstMac = MAC_B;

        public Builder src(String ip, int port) { src = literal(ip); srcPort = port; return this; }
        public Builder dst(String ip, int port) { dst = literal(ip); dstPort = port; return this; }
        public Builder seq(int v) { seq = v; return this; }
        public Builder ack(int v) { ack = v; return this; }
        /** The flags byte, e.g. {@code PacketView.SYN | PacketView.ACK}. */
        public Builder flags(int v) { flags = v; return this; }
        public Builder window(int v) { window = v; return this; }
        /** Payload length in bytes (filled with a counting pattern). */
        public Builder payload(int len) { payload = len; return this; }
        public Builder mss(int v) { mss = v; return this; }
        public Builder windowScale(int shift) { wscale = shift; return this; }
        public Builder sackPermitted() { sackPermitted = true; return this; }
        /** Adds the timestamps option. */
        public Builder ts(int val, int ecr) { ts = true; tsVal = val; tsEcr = ecr; return this; }
        /** Adds one SACK block (up to 4; with timestamps only 3 fit in 40 bytes of options). */
        public Builder sack(int left, int right) { sack.add(new int[] {left, right}); return this; }
        /** Uses these bytes as the TCP options (padded with EOL to a multiple of 4). */
        public Builder rawOptions(byte... b) { rawOptions = b.clone(); return this; }
        /** IPv4 options (padded with EOL to a multiple of 4). */
        public Builder ipv4Options(byte... b) { ipv4Options = pad4(b); return this; }
        public Builder ipId(int id) { ipId = id; return this; }
        public Builder macs(byte[] source, byte[] dest) { srcMac = source.clone(); dstMac = dest.clone(); return this; }

        /**
         * Marks the packet as a fragment: IPv4 flags/offset, or an IPv6 fragment header
         * appended to the extension headers. {@code offset8} is in 8-byte units.
         */
        public Builder fragment(int offset8, boolean more) {
            fragOffset8 = offset8;
            moreFragments = more;
            v4Fragment = true;
            if (isV6()) {
                // Call after src/dst: the family decides where the fragment fields go.
                byte[] h = new byte[8];
                int om = (offset8 << 3) | (more ? 1 : 0);
                h[2] = (byte) (om >>> 8);
                h[3] = (byte) om;
                h[7] = (byte) ipId;
                addV6Ext(44, h);
            }
            return this;
        }

        /**
         * Appends an IPv6 extension header of {@code type} (0, 43, 60: 8 * units bytes;
         * 51 AH: 4 * units bytes, at least 12); options headers carry one PadN option, the
         * others a zero body. Call after {@link #src}/{@link #dst} (IPv6 addresses).
         */
        public Builder v6Ext(int type, int units) {
            int len = type == 51 ? 4 * units : 8 * units;
            byte[] h = new byte[len];
            h[1] = (byte) (type == 51 ? units - 2 : units - 1);
            if (type == 0 || type == 60) {
                // One PadN option filling the body so the header is valid for tshark.
                h[2] = 1;
                h[3] = (byte) (len - 4);
            }
            addV6Ext(type, h);
            return this;
        }

        private void addV6Ext(int type, byte[] h) {
            v6ExtTypes.add(type);
            v6Ext.writeBytes(h);
        }

        private boolean isV6() {
            return src instanceof Inet6Address;
        }

        /** The TCP header and payload. */
        public byte[] tcpSegment() {
            byte[] opts = pad4(options());
            int hl = 20 + opts.length;
            ByteBuffer b = ByteBuffer.allocate(hl + payload);
            b.putShort((short) srcPort).putShort((short) dstPort).putInt(seq).putInt(ack)
                    .put((byte) ((hl / 4) << 4)).put((byte) flags).putShort((short) window)
                    .putShort((short) 0).putShort((short) 0).put(opts);
            for (int i = 0; i < payload; i++) b.put((byte) i);
            byte[] seg = b.array();
            long sum = pseudoHeaderSum(seg.length) + sum16(seg, 0, seg.length);
            int c = ~fold(sum) & 0xffff;
            seg[16] = (byte) (c >>> 8);
            seg[17] = (byte) c;
            return seg;
        }

        /** The IP packet (IPv4 or IPv6) with TCP inside. */
        public byte[] ip() {
            byte[] tcp = tcpSegment();
            if (!isV6()) {
                int ihl = 20 + ipv4Options.length;
                ByteBuffer b = ByteBuffer.allocate(ihl + tcp.length);
                int frag = (v4Fragment ? (moreFragments ? 0x2000 : 0) | (fragOffset8 & 0x1fff) : 0x4000);
                b.put((byte) (0x40 | ihl / 4)).put((byte) 0).putShort((short) (ihl + tcp.length))
                        .putShort((short) ipId).putShort((short) frag).put((byte) 64).put((byte) 6)
                        .putShort((short) 0).put(src.getAddress()).put(dst.getAddress()).put(ipv4Options).put(tcp);
                byte[] p = b.array();
                int c = ~fold(sum16(p, 0, ihl)) & 0xffff;
                p[10] = (byte) (c >>> 8);
                p[11] = (byte) c;
                return p;
            }
            byte[] ext = v6Ext.toByteArray();
            // Chain the next-header fields: IPv6 → ext[0] → ... → TCP.
            int first = v6ExtTypes.isEmpty() ? 6 : v6ExtTypes.get(0);
            int pos = 0;
            for (int i = 0; i < v6ExtTypes.size(); i++) {
                int type = v6ExtTypes.get(i);
                ext[pos] = (byte) (i + 1 < v6ExtTypes.size() ? v6ExtTypes.get(i + 1) : 6);
                int units = ext[pos + 1] & 0xff;
                pos += type == 51 ? 4 * (units + 2) : type == 44 ? 8 : 8 * (units + 1);
            }
            ByteBuffer b = ByteBuffer.allocate(40 + ext.length + tcp.length);
            b.putInt(0x6000_0000).putShort((short) (ext.length + tcp.length)).put((byte) first).put((byte) 64)
                    .put(src.getAddress()).put(dst.getAddress()).put(ext).put(tcp);
            return b.array();
        }

        /** An Ethernet II frame carrying {@link #ip()}. */
        public byte[] ethernet() {
            byte[] ip = ip();
            ByteBuffer b = ByteBuffer.allocate(14 + ip.length);
            b.put(dstMac).put(srcMac).putShort((short) (isV6() ? 0x86dd : 0x0800)).put(ip);
            return b.array();
        }

        /** {@link #ethernet()} as a pcap record (captured whole). */
        public PcapFile.Record record(long tsNanos) {
            byte[] f = ethernet();
            return new PcapFile.Record(tsNanos, f.length, f);
        }

        /** {@link #ethernet()} as a pcap record cut to {@code snaplen} bytes, as libpcap would. */
        public PcapFile.Record record(long tsNanos, int snaplen) {
            byte[] f = ethernet();
            return new PcapFile.Record(tsNanos, f.length, java.util.Arrays.copyOf(f, Math.min(snaplen, f.length)));
        }

        private byte[] options() {
            if (rawOptions != null) return rawOptions;
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            if (mss >= 0) o.writeBytes(new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss});
            if (wscale >= 0) o.writeBytes(new byte[] {1, 3, 3, (byte) wscale});
            if (sackPermitted) o.writeBytes(new byte[] {1, 1, 4, 2});
            if (ts) {
                o.writeBytes(new byte[] {1, 1, 8, 10});
                o.writeBytes(ByteBuffer.allocate(8).putInt(tsVal).putInt(tsEcr).array());
            }
            if (!sack.isEmpty()) {
                o.writeBytes(new byte[] {1, 1, 5, (byte) (2 + 8 * sack.size())});
                for (int[] s : sack) o.writeBytes(ByteBuffer.allocate(8).putInt(s[0]).putInt(s[1]).array());
            }
            if (o.size() > 40) throw new IllegalStateException("TCP options take " + o.size() + " bytes, at most 40 fit");
            return o.toByteArray();
        }

        private long pseudoHeaderSum(int tcpLen) {
            byte[] s = src.getAddress(), d = dst.getAddress();
            long sum = sum16(s, 0, s.length) + sum16(d, 0, d.length);
            return sum + 6 + (tcpLen & 0xffff) + (tcpLen >>> 16);
        }
    }

    private static InetAddress literal(String ip) {
        InetAddress a = InetAddress.ofLiteral(ip);
        return a;
    }

    private static byte[] pad4(byte[] b) {
        return java.util.Arrays.copyOf(b, (b.length + 3) & ~3); // zero = EOL / end of options
    }

    private static long sum16(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) sum += (b[off + len - 1] & 0xff) << 8;
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }
}
