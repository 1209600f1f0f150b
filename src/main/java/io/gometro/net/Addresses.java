package io.gometro.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Conversions between the two-long address form of {@link PacketView} (IPv6 bits as hi/lo,
 * IPv4 as ::ffff:a.b.c.d) and {@link InetAddress} or text. For set-up, tags and logs, not
 * for the per-packet path: these allocate.
 */
public final class Addresses {
    private Addresses() {}

    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;
    /** True when (hi, lo) is an IPv4-mapped address, i.e. an IPv4 address in our form. */
    public static boolean isV4(long hi, long lo) {
        return hi == 0 && (lo >>> 32) == 0xffffL;
    }

    /** The hi half of {@code a} in our form (0 for IPv4). */
    public static long hi(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? 0 : bytesToLong(b, 0);
    }

    /** The lo half of {@code a} in our form (::ffff:a.b.c.d for IPv4). */
    public static long lo(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? V4_MAPPED | (bytesToLong(b, 0) >>> 32 & 0xffff_ffffL) : bytesToLong(b, 8);
    }

    /** The IPv4 address as an int (meaningful when {@link #isV4}). */
    public static int v4(long lo) {
        return (int) lo;
    }

    /** Our form of an IPv4 address given as an int (a.b.c.d = a&lt;&lt;24 | ...). */
    public static long v4Lo(int ipv4) {
        return V4_MAPPED | (ipv4 & 0xffff_ffffL);
    }

    /**
     * The address as an {@link InetAddress}: an {@link Inet4Address} for IPv4-mapped
     * addresses, an {@link java.net.Inet6Address} otherwise. No name lookup.
     */
    public static InetAddress toInetAddress(long hi, long lo) {
        try {
            if (isV4(hi, lo)) {
                int v = (int) lo;
                return InetAddress.getByAddress(new byte[] {
                        (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
            }
            byte[] b = new byte[16];
            longToBytes(hi, b, 0);
            longToBytes(lo, b, 8);
            // getByAddress would turn a 16-byte mapped address into IPv4; that case is handled above.
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    /**
     * An IP literal ({@link IpLiterals#parse}: a dotted quad or IPv6 text, no name lookup) as {hi, lo}.
     *
     * @throws IllegalArgumentException when {@code text} is not an IP literal
     */
    public static long[] parse(String text) {
        InetAddress a = IpLiterals.parse(text).orElseThrow(
                () -> new IllegalArgumentException("not an IPv4 dotted quad or IPv6 literal: " + text));
        return new long[] {hi(a), lo(a)};
    }

    /** IPv4 dotted quad for mapped addresses, RFC 5952 canonical text for IPv6. */
    public static String toString(long hi, long lo) {
        if (isV4(hi, lo)) {
            int v = (int) lo;
            return (v >>> 24) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i])); // lower case, no leading zeros (RFC 5952 4.1, 4.3)
        }
        return sb.toString();
    }

    /** {@code a.b.c.d:port} for IPv4, {@code [v6]:port} for IPv6 (RFC 5952 section 6). */
    public static String format(long hi, long lo, int port) {
        String a = toString(hi, lo);
        return isV4(hi, lo) ? a + ":" + port : "[" + a + "]:" + port;
    }

    private static long bytesToLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (off + i < b.length ? b[off + i] & 0xff : 0);
        return v;
    }

    private static void longToBytes(long v, byte[] b, int off) {
        for (int i = 0; i < 8; i++) b[off + i] = (byte) (v >>> (56 - 8 * i));
    }

    /** The addresses as hi/lo pairs, the form {@code LocalPolicy.of} takes. */
    public static long[] pairs(java.util.Collection<InetAddress> addresses) {
        long[] out = new long[addresses.size() * 2];
        int i = 0;
        for (InetAddress a : addresses) {
            out[i++] = hi(a);
            out[i++] = lo(a);
        }
        return out;
    }
}
