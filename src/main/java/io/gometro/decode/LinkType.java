package io.gometro.decode;

/** pcap link-layer header types we decode (see tcpdump.org/linktypes.html). */
public final class LinkType {
    private LinkType() {}
    public static final int NULL = 0;          // BSD loopback, host-order AF
    public static final int ETHERNET = 1;
    public static final int RAW_DLT = 12;      // DLT_RAW on Linux/most BSDs
    public static final int RAW_DLT_OPENBSD = 14;
    public static final int RAW = 101;         // LINKTYPE_RAW
    public static final int LOOP = 108;        // OpenBSD loopback, network-order AF
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    /** Whether {@link PacketView#decode} reads this link type: every one above. */
    public static boolean isDecoded(int linkType) {
        return switch (linkType) {
            case NULL, ETHERNET, RAW_DLT, RAW_DLT_OPENBSD, RAW, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2 -> true;
            default -> false;
        };
    }
}
