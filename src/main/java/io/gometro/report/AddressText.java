package io.gometro.report;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Text for the two-long addresses of {@link io.gometro.decode.PacketView}
 * (IPv4 as ::ffff:a.b.c.d). Temporary: to be reconciled with {@code io.gometro.decode.Addresses}.
 */
final class AddressText {
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    private AddressText() {}

    static boolean isV4(long hi, long lo) {
        return hi == 0 && (lo & 0xffff_ffff_0000_0000L) == V4_MAPPED;
    }

    /** Dotted quad for IPv4, RFC 5952 compressed form for IPv6. */
    static String ip(long hi, long lo) {
        if (isV4(hi, lo)) {
            return ((lo >>> 24) & 0xff) + "." + ((lo >>> 16) & 0xff) + "." + ((lo >>> 8) & 0xff) + "." + (lo & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        // RFC 5952: the longest run (leftmost on ties) of two or more zero groups becomes "::".
        int bestAt = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** {@code ip:port}, IPv6 as {@code [addr]:port}. */
    static String endpoint(long hi, long lo, int port) {
        return isV4(hi, lo) ? ip(hi, lo) + ":" + port : "[" + ip(hi, lo) + "]:" + port;
    }

    static long hi(InetAddress a) {
        if (a instanceof Inet4Address) return 0;
        byte[] b = a.getAddress();
        return bytesToLong(b, 0);
    }

    static long lo(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) return V4_MAPPED | (bytesToLong4(b) & 0xffff_ffffL);
        return bytesToLong(b, 8);
    }

    private static long bytesToLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[at + i] & 0xff);
        return v;
    }

    private static long bytesToLong4(byte[] b) {
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }
}
