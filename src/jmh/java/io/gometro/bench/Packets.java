package io.gometro.bench;

import io.gometro.testutil.PcapFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * The scp fixture laid out in native memory the way libpcap hands packets over (one
 * buffer, read through a segment), optionally as {@code copies} time-shifted copies with
 * their own client ports, interleaved in time order like scripts/bench/mkcapture makes them.
 */
final class Packets {
    final MemorySegment seg;
    final long[] offset;
    final int[] caplen;
    final long[] ts;
    /** Packet time one pass over the data covers, so the next pass can continue after it. */
    final long span;

    Packets(Arena arena, int copies, long shiftNanos) {
        PcapFile f = PcapFile.fixture("test_scp.pcap");   // ../shared/fixtures, read at bench time
        List<PcapFile.Record> rs = f.records();
        int n = rs.size();
        long t0 = rs.get(0).tsNanos();
        int clientPort = ((rs.get(0).data()[34] & 0xff) << 8) | (rs.get(0).data()[35] & 0xff);
        long[] keys = new long[n * copies];
        for (int k = 0, q = 0; k < copies; k++) {
            for (int i = 0; i < n; i++) {
                long t = rs.get(i).tsNanos() - t0 + k * shiftNanos;
                keys[q++] = (t << 24) | ((long) k << 10) | i; // time, then copy, then order
            }
        }
        Arrays.sort(keys);
        long bytes = 0;
        for (long key : keys) bytes += rs.get((int) (key & 1023)).caplen();
        seg = arena.allocate(bytes, 8);
        offset = new long[keys.length];
        caplen = new int[keys.length];
        ts = new long[keys.length];
        long at = 0;
        for (int j = 0; j < keys.length; j++) {
            int i = (int) (keys[j] & 1023);
            int k = (int) ((keys[j] >>> 10) & 0x3fff);
            byte[] d = rs.get(i).data();
            MemorySegment.copy(d, 0, seg, ValueLayout.JAVA_BYTE, at, d.length);
            // Ethernet + 20-byte IPv4 header in this fixture: ports at 34 and 36.
            for (int p = 34; p <= 36; p += 2) {
                int port = ((d[p] & 0xff) << 8) | (d[p + 1] & 0xff);
                if (port == clientPort) {
                    seg.set(ValueLayout.JAVA_BYTE, at + p, (byte) ((10000 + k) >>> 8));
                    seg.set(ValueLayout.JAVA_BYTE, at + p + 1, (byte) (10000 + k));
                }
            }
            offset[j] = at;
            caplen[j] = d.length;
            ts[j] = rs.get(i).tsNanos();
            at += d.length;
        }
        span = ts[ts.length - 1] - ts[0] + 120_000_000_000L; // past exp_ttl: old connections are gone
    }

    int size() { return offset.length; }
}
