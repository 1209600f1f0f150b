// Builds the benchmark capture: N time-shifted copies of one capture, each copy's client
// port rewritten, merged in time order. Deterministic: same input and arguments, same bytes.
//
// Run with the JDK's source launcher (no build step, no dependency):
//   java scripts/bench/MkCapture.java IN.pcap OUT.pcap COPIES SHIFT_US FIRST_PORT [SNAPLEN]
//
// SNAPLEN > 0 cuts every record to at most that many bytes, as `tcpdump -s SNAPLEN` would
// have (the original length stays in the record): the header-only capture operators take.
//
// Copy k (0-based) is the input with every timestamp moved by k*SHIFT_US and the client
// port (the source port of the input's first TCP packet) replaced by FIRST_PORT+k. Every
// packet keeps its bytes otherwise, so each copy is the same connection with the same
// relative timing: its RTT results must equal those of the input, exactly.
//
// The TCP checksum is patched incrementally (RFC 1624) for the port change. Our decoder and
// libpcap never check it, so offline it does not matter; the patch keeps the copies valid
// segments for tools that do (tshark's expert info, the receiving stack during live replay).
import java.io.*;
import java.nio.*;
import java.nio.file.*;
import java.util.*;

public class MkCapture {
    public static void main(String[] a) throws IOException {
        if (a.length != 5 && a.length != 6) {
            System.err.println("usage: MkCapture IN.pcap OUT.pcap COPIES SHIFT_US FIRST_PORT [SNAPLEN]");
            System.exit(2);
        }
        byte[] in = Files.readAllBytes(Path.of(a[0]));
        int copies = Integer.parseInt(a[2]);
        long shiftUs = Long.parseLong(a[3]);
        int firstPort = Integer.parseInt(a[4]);
        int snaplen = a.length == 6 ? Integer.parseInt(a[5]) : 0;
        if (snaplen < 0 || (snaplen > 0 && snaplen < 14 + 20 + 20)) fail("SNAPLEN must be 0 (keep) or at least 54");
        if (copies < 1 || firstPort < 1 || firstPort + copies - 1 > 65535) {
            fail("COPIES and FIRST_PORT must keep every port in 1..65535");
        }

        ByteBuffer b = ByteBuffer.wrap(in);
        int magic = b.getInt(0);
        ByteOrder order;
        long tsUnit; // timestamp sub-second units per µs
        switch (magic) {
            case 0xa1b2c3d4 -> { order = ByteOrder.BIG_ENDIAN; tsUnit = 1; }
            case 0xd4c3b2a1 -> { order = ByteOrder.LITTLE_ENDIAN; tsUnit = 1; }
            case 0xa1b23c4d -> { order = ByteOrder.BIG_ENDIAN; tsUnit = 1000; }
            case 0x4d3cb2a1 -> { order = ByteOrder.LITTLE_ENDIAN; tsUnit = 1000; }
            default -> { fail(a[0] + ": not a classic pcap file (pcapng is not supported)"); return; }
        }
        b.order(order);
        int linkType = b.getInt(20);
        if (linkType != 1) fail(a[0] + ": link type " + linkType + ", only Ethernet (1) is supported");
        long subPerSec = 1_000_000L * tsUnit;

        // Index the input packets.
        List<Integer> offs = new ArrayList<>();
        for (int p = 24; p + 16 <= in.length; ) {
            int incl = b.getInt(p + 8);
            if (incl < 0 || p + 16 + incl > in.length) fail(a[0] + ": truncated record at byte " + p);
            offs.add(p);
            p += 16 + incl;
        }
        int n = offs.size();
        long[] ts = new long[n];           // sub-second units since the first packet
        long t0 = b.getInt(24) * subPerSec + (b.getInt(28) & 0xffffffffL);
        for (int i = 0; i < n; i++) {
            int p = offs.get(i);
            ts[i] = (b.getInt(p) & 0xffffffffL) * subPerSec + (b.getInt(p + 4) & 0xffffffffL) - t0;
        }

        int clientPort = -1;
        for (int i = 0; i < n && clientPort < 0; i++) {
            int t = tcpOffset(b, offs.get(i));
            if (t >= 0) clientPort = be16(b, offs.get(i) + 16 + t);
        }
        if (clientPort < 0) fail(a[0] + ": no TCP packet");

        // Merge order: by shifted time, then copy, then input order; one sortable long each.
        int iBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        int kBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, copies - 1));
        long maxT = ts[n - 1] + (copies - 1) * shiftUs * tsUnit;
        if (64 - Long.numberOfLeadingZeros(maxT) + iBits + kBits > 63) fail("capture too long to index");
        long[] keys = new long[n * copies];
        int q = 0;
        for (int k = 0; k < copies; k++) {
            long shift = k * shiftUs * tsUnit;
            for (int i = 0; i < n; i++) {
                keys[q++] = ((ts[i] + shift) << (iBits + kBits)) | ((long) k << iBits) | i;
            }
        }
        Arrays.sort(keys);

        long iMask = (1L << iBits) - 1, kMask = (1L << kBits) - 1;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(a[1])), 1 << 20)) {
            byte[] head = Arrays.copyOf(in, 24);
            if (snaplen > 0) ByteBuffer.wrap(head).order(order).putInt(16, snaplen);
            out.write(head);
            byte[] rec = new byte[65536 + 16];
            ByteBuffer r = ByteBuffer.wrap(rec).order(order);
            long packets = 0;
            for (long key : keys) {
                int i = (int) (key & iMask);
                int k = (int) ((key >>> iBits) & kMask);
                int p = offs.get(i);
                int len = 16 + b.getInt(p + 8);
                if (len > rec.length) { rec = new byte[len]; r = ByteBuffer.wrap(rec).order(order); }
                System.arraycopy(in, p, rec, 0, len);
                long t = t0 + ts[i] + k * shiftUs * tsUnit;
                r.putInt(0, (int) (t / subPerSec));
                r.putInt(4, (int) (t % subPerSec));
                int tcp = tcpOffset(r, 0);
                if (tcp >= 0) {
                    int port = firstPort + k;
                    rewritePort(r, 16 + tcp, 0, clientPort, port, len);
                    rewritePort(r, 16 + tcp, 2, clientPort, port, len);
                }
                int cut = snaplen > 0 ? Math.min(len - 16, snaplen) : len - 16;
                r.putInt(8, cut);
                out.write(rec, 0, 16 + cut);
                packets++;
            }
            System.err.printf("MkCapture: %d copies x %d packets = %d packets, client port %d -> %d..%d%s%n",
                    copies, n, packets, clientPort, firstPort, firstPort + copies - 1,
                    snaplen > 0 ? ", cut to " + snaplen + " bytes" : "");
        }
    }

    /** Offset of the TCP header within the frame at record {@code p}, or -1 if not Ethernet/IPv4/TCP. */
    static int tcpOffset(ByteBuffer b, int p) {
        int incl = b.getInt(p + 8);
        int f = p + 16;
        if (incl < 14 + 20 + 20) return -1;
        if (be16(b, f + 12) != 0x0800) return -1;
        int ihl = (b.get(f + 14) & 0x0f) * 4;
        if (b.get(f + 14 + 9) != 6 || incl < 14 + ihl + 20) return -1;
        return 14 + ihl;
    }

    /** Replaces the port at tcp+at if it equals {@code from}, patching the checksum (RFC 1624 eqn. 3). */
    static void rewritePort(ByteBuffer r, int tcp, int at, int from, int to, int recLen) {
        if (be16(r, tcp + at) != from) return;
        putBe16(r, tcp + at, to);
        if (tcp + 18 > recLen) return; // checksum not captured
        int hc = be16(r, tcp + 16);
        int sum = (~hc & 0xffff) + (~from & 0xffff) + to;
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        putBe16(r, tcp + 16, ~sum & 0xffff);
    }

    // Packet bytes are network order whatever the file header's order is.
    static int be16(ByteBuffer b, int p) { return (b.get(p) & 0xff) << 8 | (b.get(p + 1) & 0xff); }
    static void putBe16(ByteBuffer b, int p, int v) { b.put(p, (byte) (v >>> 8)); b.put(p + 1, (byte) v); }

    static void fail(String msg) {
        System.err.println("MkCapture: " + msg);
        System.exit(1);
    }
}
