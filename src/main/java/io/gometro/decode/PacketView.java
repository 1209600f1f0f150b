package io.gometro.decode;

import io.gometro.net.Addresses;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A reusable flyweight over one captured packet: link layer, IPv4/IPv6 and TCP,
 * decoded in place from the capture buffer. One instance per capture thread;
 * {@link #decode} allocates nothing.
 *
 * <p><b>Layering.</b> {@link #decode} peels the packet in three steps, each working on
 * positions relative to {@code offset} and each checking its reads against {@code caplen}:
 * <ol>
 *   <li>link: Ethernet (with up to {@value #MAX_VLAN_TAGS} 802.1Q / 802.1ad / 0x9100 tags),
 *       Linux SLL and SLL2, BSD NULL and LOOP, or none (RAW, IPV4, IPV6) &rarr; the
 *       ethertype and the position of the IP header;</li>
 *   <li>network: IPv4 (options skipped, fragments refused) or IPv6 (extension headers
 *       walked, fragments refused) &rarr; addresses, the TCP header position and the
 *       number of bytes the IP header says follow it;</li>
 *   <li>transport: the TCP header and its options (MSS, window scale, SACK-permitted,
 *       SACK blocks, timestamps).</li>
 * </ol>
 * Lengths come from the IP header, never from {@code caplen}: the snaplen cuts payloads,
 * and the flow code needs the true segment length. {@code caplen} only bounds what is read.
 *
 * <p><b>Why a flyweight.</b> The capture thread sees every packet of the host. A decoded
 * object per packet would make the garbage collector part of the per-packet cost; instead
 * this single mutable instance holds the fields of the last packet decoded (plain ints and
 * longs, the SACK blocks in two arrays allocated once), and the flow code copies out what
 * it keeps. The accessors are valid only after {@link #decode} returned {@link #OK} and
 * until the next call.
 *
 * <p>Addresses are two longs each: IPv6 as its 128 bits (hi, lo), IPv4 as the
 * IPv4-mapped address ::ffff:a.b.c.d (hi = 0, lo = 0x0000_ffff_0000_0000L | ipv4).
 * This keeps one key shape for both families. {@link Addresses} turns them into text.
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class PacketView {
    /** {@link #decode} results. Only OK makes the accessors valid. */
    public static final int OK = 0, NOT_TCP = 1, TRUNCATED = 2, FRAGMENT = 3,
            UNSUPPORTED_LINK = 4, MALFORMED = 5;

    /** TCP flag bits as in the header's flags byte. */
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

    /** Max SACK blocks kept (a TCP option carries at most four). */
    public static final int MAX_SACK = 4;

    /** Most VLAN tags peeled off an Ethernet (or SLL) frame; deeper stacks are MALFORMED. */
    public static final int MAX_VLAN_TAGS = 4;

    /** Most IPv6 extension headers walked before TCP; longer chains are MALFORMED. */
    public static final int MAX_IPV6_EXT_HEADERS = 8;

    // Multi-byte fields are network order and may sit at any alignment.
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort N16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt N32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong N64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final boolean SWAP = ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN;

    private static final int ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86DD;
    private static final int ETH_8021Q = 0x8100, ETH_8021AD = 0x88A8, ETH_QINQ_OLD = 0x9100;
    private static final int ETH_PPPOE_SESSION = 0x8864, PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057;
    private static final int ETH_MPLS = 0x8847, ETH_MPLS_MULTICAST = 0x8848;
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    // Scratch for the packet being decoded (valid during decode only).
    private MemorySegment seg;
    private long base;
    private int cap;

    // Decoded fields of the last packet.
    private int linkType;
    private int ipVersion;
    private int ipOffset, tcpOffset, tcpHeaderLength;
    private long srcHi, srcLo, dstHi, dstLo;
    private int srcPort, dstPort, seq, ack, flags, window, payloadLength;
    private int ipId;
    private boolean hasTimestamps, sackPermitted;
    private int tsVal, tsEcr, mss, windowScale;
    private int sackCount;
    private final int[] sackLeft = new int[MAX_SACK];
    private final int[] sackRight = new int[MAX_SACK];

    /**
     * Decodes the packet at {@code seg[offset, offset+caplen)} captured on a link of
     * {@code linkType} (a pcap LINKTYPE_/DLT_ value). Never reads outside that range
     * and never throws on any input.
     *
     * @return {@link #OK} when the accessors describe a TCP segment; otherwise why not:
     *     {@link #NOT_TCP} (another protocol, or IPsec ESP), {@link #TRUNCATED} (the headers
     *     end before caplen does not reach them), {@link #FRAGMENT} (an IP fragment, which has
     *     no usable TCP header), {@link #UNSUPPORTED_LINK}, {@link #MALFORMED} (the headers
     *     contradict themselves)
     */
    public int decode(MemorySegment seg, long offset, int caplen, int linkType) {
        this.linkType = linkType;
        this.ipVersion = 0;
        // The segment's own bounds are the last line of defence; a global segment spans all memory.
        if (seg == null || caplen < 0 || offset < 0 || seg.byteSize() - offset < caplen) {
            this.seg = null;
            return TRUNCATED;
        }
        this.seg = seg;
        this.base = offset;
        this.cap = caplen;
        int r = decodeLink(linkType);
        this.seg = null; // do not keep a capture buffer reachable between packets
        return r;
    }

    // ---- link layer --------------------------------------------------------------------

    private int decodeLink(int lt) {
        switch (lt) {
            case LinkType.ETHERNET:
                if (cap < 14) return TRUNCATED;
                return decodeEthertype(u16(12), 14);
            case LinkType.LINUX_SLL:
                if (cap < 16) return TRUNCATED;
                return decodeEthertype(u16(14), 16);
            case LinkType.LINUX_SLL2:
                if (cap < 20) return TRUNCATED;
                return decodeEthertype(u16(0), 20);
            case LinkType.NULL:
            case LinkType.LOOP: {
                if (cap < 4) return TRUNCATED;
                int af = u32(0);
                // NULL carries the family in the capturing host's byte order, LOOP in network order.
                int v = addressFamilyVersion(af);
                if (v == 0 && lt == LinkType.NULL) v = addressFamilyVersion(Integer.reverseBytes(af));
                if (v == 4) return decodeIpv4(4);
                if (v == 6) return decodeIpv6(4);
                return NOT_TCP;
            }
            case LinkType.RAW:
            case LinkType.RAW_DLT:
            case LinkType.RAW_DLT_OPENBSD: {
                if (cap < 1) return TRUNCATED;
                int version = (u8(0) >>> 4);
                if (version == 4) return decodeIpv4(0);
                if (version == 6) return decodeIpv6(0);
                return NOT_TCP;
            }
            case LinkType.IPV4:
                return decodeIpv4(0);
            case LinkType.IPV6:
                return decodeIpv6(0);
            default:
                return UNSUPPORTED_LINK;
        }
    }

    /** BSD address families: AF_INET is 2 everywhere, AF_INET6 differs per OS. */
    private static int addressFamilyVersion(int af) {
        switch (af) {
            case 2: return 4;
            case 10:          // Linux
            case 24:          // NetBSD, OpenBSD, BSD/OS
            case 28:          // FreeBSD, DragonFly
            case 30:          // Darwin
                return 6;
            default: return 0;
        }
    }

    /**
     * {@code type} is the ethertype read just before {@code p}; VLAN tags are peeled here, and
     * a PPPoE session header or an MPLS label stack (an access network's, a carrier's mirror
     * port) is stepped over to the IP packet inside.
     */
    private int decodeEthertype(int type, int p) {
        for (int tags = 0; ; tags++) {
            if (type == ETH_IPV4) return decodeIpv4(p);
            if (type == ETH_IPV6) return decodeIpv6(p);
            if (type == ETH_PPPOE_SESSION) {
                // ver/type, code, session id, length (6 bytes), then the PPP protocol.
                if (cap - p < 8) return TRUNCATED;
                int proto = u16(p + 6);
                if (proto == PPP_IPV4) return decodeIpv4(p + 8);
                if (proto == PPP_IPV6) return decodeIpv6(p + 8);
                return NOT_TCP;
            }
            if (type == ETH_MPLS || type == ETH_MPLS_MULTICAST) return decodeMpls(p);
            if (type != ETH_8021Q && type != ETH_8021AD && type != ETH_QINQ_OLD) return NOT_TCP;
            if (tags == MAX_VLAN_TAGS) return MALFORMED;
            // A tag is 2 bytes of TCI then the next ethertype.
            if (cap - p < 4) return TRUNCATED;
            type = u16(p + 2);
            p += 4;
        }
    }

    /** An MPLS label stack at {@code p}: 4 bytes a label up to the bottom of stack, then IP by its version. */
    private int decodeMpls(int p) {
        for (int labels = 0; labels < MAX_VLAN_TAGS * 2; labels++) {
            if (cap - p < 4) return TRUNCATED;
            boolean bottom = (u8(p + 2) & 1) != 0;
            p += 4;
            if (!bottom) continue;
            if (cap - p < 1) return TRUNCATED;
            int version = u8(p) >>> 4;
            if (version == 4) return decodeIpv4(p);
            if (version == 6) return decodeIpv6(p);
            return NOT_TCP;   // a pseudowire's Ethernet frame, or another payload
        }
        return MALFORMED;
    }

    // ---- network layer -----------------------------------------------------------------

    private int decodeIpv4(int p) {
        if (cap - p < 20) return TRUNCATED;
        int vihl = u8(p);
        if ((vihl >>> 4) != 4) return MALFORMED;
        int ihl = (vihl & 0x0f) << 2;
        if (ihl < 20) return MALFORMED;
        int total = u16(p + 2);
        if (total == 0) {
            // TCP segmentation offload: the NIC fills the length in later, so the capture shows 0.
            // Like gopacket and Wireshark, fall back to what was captured (a lower bound).
            total = cap - p;
        }
        if (total < ihl) return MALFORMED;
        int frag = u16(p + 6);
        if ((frag & 0x3fff) != 0) return FRAGMENT; // MF set or a non-zero offset
        if (u8(p + 9) != 6) return NOT_TCP;
        ipVersion = 4;
        ipOffset = p;
        ipId = u16(p + 4);
        srcHi = 0;
        srcLo = V4_MAPPED | (u32(p + 12) & 0xffff_ffffL);
        dstHi = 0;
        dstLo = V4_MAPPED | (u32(p + 16) & 0xffff_ffffL);
        return decodeTcp(p + ihl, total - ihl);
    }

    private int decodeIpv6(int p) {
        if (cap - p < 40) return TRUNCATED;
        if ((u8(p) >>> 4) != 6) return MALFORMED;
        int payload = u16(p + 4);
        int next = u8(p + 6);
        if (payload == 0) {
            // A jumbogram announces itself in hop-by-hop; we do not decode those.
            if (next == 0) return MALFORMED;
            // Linux BIG TCP / TSO hands taps a length of 0 without hop-by-hop: use what was captured.
            payload = cap - p - 40;
        }
        ipVersion = 6;
        ipOffset = p;
        ipId = -1;
        srcHi = u64(p + 8);
        srcLo = u64(p + 16);
        dstHi = u64(p + 24);
        dstLo = u64(p + 32);
        int h = p + 40;          // start of the current header
        int left = payload;      // bytes the IPv6 header says follow h
        for (int n = 0; ; n++) {
            if (next == 6) return decodeTcp(h, left);
            int len;
            switch (next) {
                case 0:   // hop-by-hop options
                case 43:  // routing
                case 60:  // destination options
                    if (cap - h < 2) return TRUNCATED;
                    len = (u8(h + 1) + 1) << 3;
                    break;
                case 51:  // authentication header: length in 4-byte units, minus 2
                    if (cap - h < 2) return TRUNCATED;
                    len = (u8(h + 1) + 2) << 2;
                    break;
                case 44: { // fragment
                    if (left < 8) return MALFORMED;
                    if (cap - h < 8) return TRUNCATED;
                    int offM = u16(h + 2);
                    // An atomic fragment (offset 0, no more) is a whole datagram; keep walking.
                    if ((offM & 0xfff9) != 0) return FRAGMENT;
                    len = 8;
                    break;
                }
                default:  // ESP (50), no next header (59), ICMPv6, UDP, ...
                    return NOT_TCP;
            }
            if (n + 1 >= MAX_IPV6_EXT_HEADERS) return MALFORMED;
            if (len > left) return MALFORMED;
            next = u8(h);
            h += len;
            left -= len;
        }
    }

    // ---- transport layer ---------------------------------------------------------------

    /** {@code t}: TCP header position; {@code segLen}: header + payload per the IP lengths. */
    private int decodeTcp(int t, int segLen) {
        if (segLen < 20) return MALFORMED;
        if (cap - t < 20) return TRUNCATED;
        int doff = (u8(t + 12) >>> 4) << 2;
        if (doff < 20 || doff > segLen) return MALFORMED;
        srcPort = u16(t);
        dstPort = u16(t + 2);
        seq = u32(t + 4);
        ack = u32(t + 8);
        flags = u8(t + 13);
        window = u16(t + 14);
        tcpOffset = t;
        tcpHeaderLength = doff;
        payloadLength = segLen - doff;
        parseOptions(t + 20, Math.min(t + doff, cap));
        return OK;
    }

    /** Options in [i, end); end is already clipped to the captured bytes. */
    private void parseOptions(int i, int end) {
        hasTimestamps = false;
        sackPermitted = false;
        tsVal = 0;
        tsEcr = 0;
        mss = -1;
        windowScale = -1;
        sackCount = 0;
        while (i < end) {
            int kind = u8(i);
            if (kind == 0) return;            // end of option list
            if (kind == 1) { i++; continue; } // NOP
            if (end - i < 2) return;          // length byte not there
            int len = u8(i + 1);
            if (len < 2 || len > end - i) return; // bad or cut: keep what we have
            switch (kind) {
                case 2:
                    if (len != 4) return;
                    mss = u16(i + 2);
                    break;
                case 3:
                    if (len != 3) return;
                    windowScale = u8(i + 2);
                    break;
                case 4:
                    if (len != 2) return;
                    sackPermitted = true;
                    break;
                case 5: {
                    int n = (len - 2) >>> 3;
                    if (n < 1 || n > MAX_SACK || len != 2 + (n << 3)) return;
                    for (int b = 0; b < n; b++) {
                        sackLeft[b] = u32(i + 2 + (b << 3));
                        sackRight[b] = u32(i + 6 + (b << 3));
                    }
                    sackCount = n;
                    break;
                }
                case 8:
                    if (len != 10) return;
                    tsVal = u32(i + 2);
                    tsEcr = u32(i + 6);
                    hasTimestamps = true;
                    break;
                default:
                    break; // unknown option: skip by its length
            }
            i += len;
        }
    }

    // ---- reads (positions relative to the packet start; callers checked the bounds) -----

    private int u8(int p) { return seg.get(U8, base + p) & 0xff; }
    // Native-order loads swapped by hand: a big-endian layout costs a call to Unsafe.convEndian per
    // field under C1 (not inlined there); Integer/Long.reverseBytes are C1 and C2 intrinsics.
    private int u16(int p) {
        short v = seg.get(N16, base + p);
        return (SWAP ? Short.reverseBytes(v) : v) & 0xffff;
    }
    private int u32(int p) {
        int v = seg.get(N32, base + p);
        return SWAP ? Integer.reverseBytes(v) : v;
    }
    private long u64(int p) {
        long v = seg.get(N64, base + p);
        return SWAP ? Long.reverseBytes(v) : v;
    }

    // ---- accessors (valid after OK) ----------------------------------------------------

    /** The link type passed to the last {@link #decode}. */
    public int linkType() { return linkType; }
    /** 4 or 6. */
    public int ipVersion() { return ipVersion; }
    public long srcHi() { return srcHi; }
    public long srcLo() { return srcLo; }
    public long dstHi() { return dstHi; }
    public long dstLo() { return dstLo; }
    public int srcPort() { return srcPort; }
    public int dstPort() { return dstPort; }
    /** Raw 32-bit sequence number. */
    public int seq() { return seq; }
    /** Raw 32-bit acknowledgment number (meaningful when ACK is set). */
    public int ack() { return ack; }
    /** The TCP flags byte. */
    public int flags() { return flags; }
    /** True when every bit of {@code mask} (e.g. {@link #SYN}) is set. */
    public boolean has(int mask) { return (flags & mask) == mask; }
    /** The unscaled receive window. */
    public int window() { return window; }
    /** TCP payload length from the IP header's lengths, not from caplen (snaplen cuts payloads). */
    public int payloadLength() { return payloadLength; }
    public boolean hasTimestamps() { return hasTimestamps; }
    public int tsVal() { return tsVal; }
    public int tsEcr() { return tsEcr; }
    public int sackCount() { return sackCount; }
    public int sackLeft(int i) { return sackLeft[i]; }
    public int sackRight(int i) { return sackRight[i]; }
    /** True when the SYN carried SACK-permitted. */
    public boolean sackPermitted() { return sackPermitted; }
    /** The MSS option's value, or -1 when absent. */
    public int mss() { return mss; }
    /** The window scale option's shift, or -1 when absent. */
    public int windowScale() { return windowScale; }
    /**
     * The IPv4 identification field (0..65535), or -1 for IPv6, which has none outside fragments.
     * A sender gives each packet its own (Linux: a per-connection counter), so two frames with
     * the same one are copies of one packet, not a retransmission.
     */
    public int ipId() { return ipId; }
    /** Offset of the IP header from the packet start. */
    public int ipOffset() { return ipOffset; }
    /** Offset of the TCP header from the packet start. */
    public int tcpOffset() { return tcpOffset; }
    /** TCP header length including options (data offset &times; 4). */
    public int tcpHeaderLength() { return tcpHeaderLength; }
    /** Offset of the TCP payload from the packet start (it may lie beyond caplen). */
    public int payloadOffset() { return tcpOffset + tcpHeaderLength; }

    /** Human-readable name of a {@link #decode} result, for logs and tests. */
    public static String resultName(int result) {
        switch (result) {
            case OK: return "OK";
            case NOT_TCP: return "NOT_TCP";
            case TRUNCATED: return "TRUNCATED";
            case FRAGMENT: return "FRAGMENT";
            case UNSUPPORTED_LINK: return "UNSUPPORTED_LINK";
            case MALFORMED: return "MALFORMED";
            default: return "UNKNOWN(" + result + ")";
        }
    }
}
