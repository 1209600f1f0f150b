package io.gometro.decode;

import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over one captured packet: link layer, IPv4/IPv6 and TCP,
 * decoded in place from the capture buffer. One instance per capture thread;
 * {@link #decode} allocates nothing.
 *
 * <p>Addresses are two longs each: IPv6 as its 128 bits (hi, lo), IPv4 as the
 * IPv4-mapped address ::ffff:a.b.c.d (hi = 0, lo = 0x0000_ffff_0000_0000L | ipv4).
 * This keeps one key shape for both families.
 *
 * <p>STUB: the decode helper implements this class; the accessors are the contract.
 */
public final class PacketView {
    /** {@link #decode} results. Only OK makes the accessors valid. */
    public static final int OK = 0, NOT_TCP = 1, TRUNCATED = 2, FRAGMENT = 3,
            UNSUPPORTED_LINK = 4, MALFORMED = 5;

    /** TCP flag bits as in the header's flags byte. */
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

    /** Max SACK blocks kept (a TCP option carries at most four). */
    public static final int MAX_SACK = 4;

    /**
     * Decodes the packet at {@code seg[offset, offset+caplen)} captured on a link of
     * {@code linkType} (a pcap LINKTYPE_/DLT_ value). Never reads outside that range
     * and never throws on any input.
     */
    public int decode(MemorySegment seg, long offset, int caplen, int linkType) {
        throw new UnsupportedOperationException("decode helper");
    }

    public int ipVersion() { throw new UnsupportedOperationException(); }
    public long srcHi() { throw new UnsupportedOperationException(); }
    public long srcLo() { throw new UnsupportedOperationException(); }
    public long dstHi() { throw new UnsupportedOperationException(); }
    public long dstLo() { throw new UnsupportedOperationException(); }
    public int srcPort() { throw new UnsupportedOperationException(); }
    public int dstPort() { throw new UnsupportedOperationException(); }
    /** Raw 32-bit sequence number. */
    public int seq() { throw new UnsupportedOperationException(); }
    /** Raw 32-bit acknowledgment number (meaningful when ACK is set). */
    public int ack() { throw new UnsupportedOperationException(); }
    /** The TCP flags byte. */
    public int flags() { throw new UnsupportedOperationException(); }
    /** TCP payload length from the IP header's lengths, not from caplen (snaplen cuts payloads). */
    public int payloadLength() { throw new UnsupportedOperationException(); }
    public boolean hasTimestamps() { throw new UnsupportedOperationException(); }
    public int tsVal() { throw new UnsupportedOperationException(); }
    public int tsEcr() { throw new UnsupportedOperationException(); }
    public int sackCount() { throw new UnsupportedOperationException(); }
    public int sackLeft(int i) { throw new UnsupportedOperationException(); }
    public int sackRight(int i) { throw new UnsupportedOperationException(); }
}
