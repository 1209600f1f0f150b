package io.gometro.capture;

import java.util.Collection;
import java.util.StringJoiner;

/** Builds the BPF whitelist filter go-metro captures with. */
public final class FilterBuilder {
    private FilterBuilder() {}

    /**
     * {@code tcp and not host 127.0.0.1 and (host A or host B ...)} for base "tcp"; any other
     * base is parenthesised first, {@code (BASE) and not host 127.0.0.1 and (...)}, so an
     * {@code or} inside it cannot swallow the whitelist. IPv6 literals are valid BPF hosts.
     *
     * @throws IllegalArgumentException when {@code ips} is empty (a filter without a whitelist
     *         would capture every TCP packet; the caller must have rejected that config already)
     */
    public static String build(String base, Collection<String> ips) {
        if (ips == null || ips.isEmpty()) {
            throw new IllegalArgumentException("capture filter needs at least one whitelisted IP");
        }
        String b = base == null ? "tcp" : base.strip();
        StringJoiner hosts = new StringJoiner(" or ", "(", ")");
        for (String ip : ips) {
            String s = ip == null ? "" : ip.strip();
            if (s.isEmpty()) throw new IllegalArgumentException("blank IP in capture whitelist");
            hosts.add("host " + s);
        }
        String head = b.equals("tcp") ? "tcp" : "(" + b + ")";
        return head + " and not host 127.0.0.1 and " + hosts;
    }
}
