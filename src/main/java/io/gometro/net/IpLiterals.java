package io.gometro.net;

import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Strict IP literal parsing that never touches DNS. IPv4 must be a dotted quad (no "10.1" or
 * octal shorthands that inet_aton would accept, because those are almost always typos in a
 * whitelist); IPv6 is whatever {@link InetAddress#ofLiteral} accepts, its zone ({@code %eth0}) dropped.
 */
public final class IpLiterals {
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    // RFC 1123 labels; '_' tolerated because it occurs in real internal names.
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}\\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                    + "(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

    private IpLiterals() {}

    /** @return the address if {@code s} is an IPv4 dotted quad or an IPv6 literal; empty otherwise */
    public static Optional<InetAddress> parse(String s) {
        if (s == null) return Optional.empty();
        String t = s.strip();
        if (IPV4.matcher(t).matches()) return Optional.of(InetAddress.ofLiteral(t));
        if (t.indexOf(':') >= 0) {
            // A zone (fe80::1%eth0) names the link, which a capture on one interface already is;
            // packets carry no zone, and the JDK would refuse the name of an interface not up now.
            int zone = t.indexOf('%');
            if (zone > 0) t = t.substring(0, zone);
            try {
                return Optional.of(InetAddress.ofLiteral(t));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** True when {@code s} is syntactically a host name (no lookup is made). */
    public static boolean isHostName(String s) {
        return s != null && HOSTNAME.matcher(s).matches() && !s.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }
}
