package io.gometro.capture;

import java.lang.foreign.MemorySegment;

/**
 * Receives packets from a capture loop, on the capture thread. The segment is only
 * valid during the call: read it, never keep it.
 */
public interface PacketHandler {
    /**
     * One captured packet: bytes at {@code seg[offset, offset+caplen)}, {@code wireLen}
     * bytes on the wire, captured at {@code tsNanos} (Unix epoch, ns).
     */
    void onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos);

    /**
     * The live read timed out with no packet. {@code nowNanos} is the wall clock, which
     * stands in for packet time so that expiry and flushes still happen on a quiet link.
     */
    void onIdle(long nowNanos);
}
