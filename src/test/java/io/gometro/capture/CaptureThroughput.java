package io.gometro.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Microbenchmark, not a test: reads a capture file {@code rounds} times through
 * {@link PacketSource#loop} with a handler that counts packets and reads one byte of each,
 * and prints packets/s per round (cold first rounds, warm later ones).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes:$(cat cp.txt) \
 *     io.gometro.capture.CaptureThroughput [file] [rounds]
 * </pre>
 */
public final class CaptureThroughput {
    static final class Count implements PacketHandler {
        long packets, sink;
        @Override public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
            packets++;
            // Touch the packet like a decoder would (first byte and the timestamp), so nothing is dead code.
            sink += seg.get(ValueLayout.JAVA_BYTE, offset) + caplen + tsNanos;
            return true;
        }
    }

    public static void main(String[] args) throws Exception {
        String file = args.length > 0 ? args[0] : io.gometro.testutil.Shared.fixture("test_scp.pcap").toString();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        Count c = new Count();
        long totalPackets = 0, totalNanos = 0, warmPackets = 0, warmNanos = 0, openNanos = 0;
        int report = Math.max(1, rounds / 10);
        for (int r = 1; r <= rounds; r++) {
            long p0 = c.packets;
            long o0 = System.nanoTime();
            long dt;
            // Only the loop is timed: opening (pcap4j + JNA) costs far more than reading a small file.
            try (PacketSource h = PacketSource.file(file)) {
                long t0 = System.nanoTime();
                openNanos += t0 - o0;
                if (h.loop(c, () -> false) != PacketSource.End.EOF) throw new IllegalStateException(h.lastError());
                dt = System.nanoTime() - t0;
            }
            long n = c.packets - p0;
            totalPackets += n;
            totalNanos += dt;
            if (r > rounds / 2) { warmPackets += n; warmNanos += dt; }
            if (r <= 3 || r % report == 0) {
                System.out.printf("round %5d: %,d packets in %.3f ms = %.2f M packets/s%n", r, n, dt / 1e6, n * 1e3 / dt);
            }
        }
        System.out.printf("file %s%n", file);
        System.out.printf("all %d rounds: %.2f M packets/s (loop only); open averages %.1f µs%n",
                rounds, totalPackets * 1e3 / totalNanos, openNanos / 1e3 / rounds);
        System.out.printf("warm (last half): %.2f M packets/s  [sink %d]%n", warmPackets * 1e3 / warmNanos, c.sink & 1);
    }
}
