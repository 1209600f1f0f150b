package io.gometro.capture;

import io.gometro.decode.LinkType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.StringJoiner;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Builds the BPF whitelist filter go-metro captures with, and fits it to the kernel.
 *
 * <p>The whitelist part W is {@code TCP and not host 127.0.0.1 and (host A or host B ...)},
 * where TCP is {@code tcp} (libpcap's IPv4 and IPv6 TCP, the latter also behind a fragment
 * header) or IPv6 TCP behind one or two hop-by-hop, routing or destination-options headers.
 * {@code ip6 protochain 6} would follow any number, but it compiles to a backward jump,
 * which the kernel refuses, and libpcap then filters every packet in user space.
 *
 * <p>On Ethernet, where libpcap has {@code vlan}, the filter is
 * {@code (W) or (vlan and ((W) or (vlan and (W))))}: after {@code vlan} libpcap reads every
 * later field 4 bytes further on, so {@code (W) or (vlan and W)} passes untagged frames,
 * 802.1Q frames and (with the inner clause) QinQ frames alike, where {@code vlan and W} alone
 * would drop every untagged one. Linux cooked captures (SLL, SLL2) carry the tag out of
 * band and libpcap refuses {@code vlan} there, as on raw IP and loopback links: W alone.
 *
 * <p>The kernel runs at most {@link #MAX_INSTRUCTIONS} instructions per program; an IPv6
 * host costs about 18 of them, three times over in the tagged form. {@link #fit} compiles
 * the filter as libpcap will and keeps the longest prefix of the whitelist that fits.
 */
public final class FilterBuilder {
    private FilterBuilder() {}

    /** BPF_MAXINSNS: the Linux kernel refuses a longer classic BPF program. */
    public static final int MAX_INSTRUCTIONS = 4096;

    private static final String EXT = "(ip6[%1$s] = 0 or ip6[%1$s] = 43 or ip6[%1$s] = 60)";
    /** IPv6 TCP behind one or two extension headers (the first at byte 40, its length at 41). */
    static final String IPV6_TCP_BEHIND_EXTENSIONS = "(ip6 and " + EXT.formatted("6")
            + " and (ip6[40] = 6 or (" + EXT.formatted("40") + " and ip6[40 + (ip6[41] + 1) * 8] = 6)))";

    /** The filter and how many of the whitelist's addresses it holds. */
    public record Fitted(String filter, int kept, int instructions) {}

    /**
     * The filter for {@code base} ({@code -f}; null is {@code tcp}) and the whitelist
     * {@code ips} on a link of {@code linkType}. Any base but {@code tcp} is parenthesised, so an
     * {@code or} inside it cannot swallow the whitelist; it is the user's, so no IPv6 extension
     * clause is added to it. IPv6 zones ({@code %eth0}) are dropped: BPF has no syntax for them.
     *
     * @throws IllegalArgumentException when {@code ips} is empty (a filter without a whitelist
     *         would capture every TCP packet; the caller must have rejected that config already)
     */
    public static String build(String base, List<String> ips, int linkType) {
        if (ips == null || ips.isEmpty()) {
            throw new IllegalArgumentException("capture filter needs at least one whitelisted IP");
        }
        String b = base == null ? "tcp" : base.strip();
        StringJoiner hosts = new StringJoiner(" or ", "(", ")");
        for (String ip : ips) {
            String s = ip == null ? "" : ip.strip();
            int zone = s.indexOf('%');
            if (zone > 0) s = s.substring(0, zone);
            if (s.isEmpty()) throw new IllegalArgumentException("blank IP in capture whitelist");
            hosts.add("host " + s);
        }
        String head = b.equals("tcp") ? "(tcp or " + IPV6_TCP_BEHIND_EXTENSIONS + ")" : "(" + b + ")";
        String w = head + " and not host 127.0.0.1 and " + hosts;
        if (linkType != LinkType.ETHERNET) return w;
        return "(" + w + ") or (vlan and ((" + w + ") or (vlan and (" + w + "))))";
    }

    /**
     * {@link #build} with as many of {@code ips}, in order, as fit in {@link #MAX_INSTRUCTIONS}
     * compiled instructions (all of them when they fit; at least one).
     *
     * @throws CaptureException when the filter does not compile (a bad {@code -f}), or even one
     *         address does not fit
     */
    public static Fitted fit(String base, List<String> ips, int linkType, int snaplen) throws CaptureException {
        String all = build(base, ips, linkType);
        int n = instructions(all, linkType, snaplen);
        if (n <= MAX_INSTRUCTIONS) return new Fitted(all, ips.size(), n);
        int lo = 1, hi = ips.size() - 1, best = 0, bestSize = 0;   // the most that fit, by bisection
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int size = instructions(build(base, ips.subList(0, mid), linkType), linkType, snaplen);
            if (size <= MAX_INSTRUCTIONS) { best = mid; bestSize = size; lo = mid + 1; } else hi = mid - 1;
        }
        if (best == 0) {
            throw new CaptureException("the capture filter for even one whitelisted address is longer than the "
                    + "kernel's " + MAX_INSTRUCTIONS + " BPF instructions; shorten -f", false);
        }
        return new Fitted(build(base, ips.subList(0, best), linkType), best, bestSize);
    }

    /** How many BPF instructions libpcap compiles {@code filter} to (optimised) on such a link. */
    public static int instructions(String filter, int linkType, int snaplen) throws CaptureException {
        Libpcap lib = Libpcap.ensureLoaded();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dead = (MemorySegment) lib.openDead().invokeExact(linkType, snaplen);
            if (dead.address() == 0) throw new IllegalStateException("pcap_open_dead failed");
            try {
                MemorySegment prog = a.allocate(16, 8);   // struct bpf_program { u_int bf_len; struct bpf_insn *; }
                if ((int) lib.compile().invokeExact(dead, prog, a.allocateFrom(filter), 1, 0xffffffff) != 0) {
                    MemorySegment err = (MemorySegment) lib.geterr().invokeExact(dead);
                    throw new CaptureException("invalid capture filter \"" + filter + "\": "
                            + err.reinterpret(256).getString(0).strip(), false);
                }
                int n = prog.get(JAVA_INT, 0);
                lib.freecode().invokeExact(prog);
                return n;
            } finally {
                lib.close.invokeExact(dead);
            }
        } catch (CaptureException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libpcap call failed compiling a filter", t);
        }
    }
}
