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
     *
     * @return true to go on reading; false makes {@link PacketSource#loop} return
     *         {@link PacketSource.End#YIELD} after this packet, so that its caller can do
     *         work between packets (a flush, a filter swap) outside this callback
     */
    boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos);
}
