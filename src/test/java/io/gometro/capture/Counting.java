package io.gometro.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A PacketHandler that tallies what it sees, for tests and the throughput benchmark. */
final class Counting implements PacketHandler {
    long packets, capBytes, wireBytes, firstTs = -1, lastTs = -1, byteSum;
    int firstEtherType = -1;
    /** When true, reads every captured byte (proves the offsets are right; costs time in benchmarks). */
    final boolean touchBytes;

    Counting(boolean touchBytes) { this.touchBytes = touchBytes; }

    @Override public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
        if (packets == 0) {
            firstTs = tsNanos;
            if (caplen >= 14) {
                firstEtherType = Short.toUnsignedInt(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
                        java.nio.ByteOrder.BIG_ENDIAN), offset + 12));
            }
        }
        lastTs = tsNanos;
        packets++;
        capBytes += caplen;
        wireBytes += wireLen;
        if (touchBytes) {
            for (int i = 0; i < caplen; i++) byteSum += seg.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff;
        }
        return true;
    }
}
