package io.gometro.app.peers;

import io.gometro.config.ConfigException;
import io.gometro.config.ConfigKey;
import io.gometro.config.InstanceConfig;
import io.gometro.net.Addresses;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns one instance's {@code ips} and {@code hosts} into the peers to capture and the names to tag
 * them with. Done at start, before capturing, and again every resolve_interval by
 * {@link AddressRefresh}:
 * <ol>
 *   <li>{@code hosts} are resolved to addresses, all names in parallel, each bounded by the timeout
 *       (the JDK resolver cannot be interrupted, so a stuck lookup is abandoned on a daemon thread).
 *       A name that does not resolve is a warning and is skipped.</li>
 *   <li>{@code ips} are reverse-resolved for tag names, in parallel with the same bound; a failure
 *       keeps the IP literal as the name. An address that came from {@code hosts} keeps the host's
 *       name as written in the config (no reverse lookup).</li>
 *   <li>Our own addresses (the {@code local} argument) are dropped: go-metro measures traffic to
 *       peers. If nothing remains, that is a {@link ConfigException}.</li>
 * </ol>
 * Warnings are logged here (logger {@code io.gometro.app.peers.Whitelist}) and also returned; the
 * periodic lookups ask for them only to be returned (AddressRefresh logs what changed).
 */
public final class Whitelist {
    private static final Logger LOG = LogManager.getLogger(Whitelist.class);
    /** Bound on each name lookup; lookups run in parallel so this is also about the total wait. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * @param peers    addresses for the BPF filter ({@code host A or host B ...}), in config order, no duplicates
     * @param names    address → tag name for every peer (host name, reverse name, or the IP literal)
     * @param warnings what was skipped and why (already logged)
     */
    public record Result(List<InetAddress> peers, Map<InetAddress, String> names, List<String> warnings) {
        public Result {
            peers = List.copyOf(peers);
            names = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(names));
            warnings = List.copyOf(warnings);
        }
    }

    /** Name service operations, replaceable so callers can pin behaviour; the default is the JDK resolver. */
    public interface Resolver {
        /** All addresses of a name; throws on failure. */
        InetAddress[] lookup(String host) throws Exception;

        /** The name of an address, or null if it has none. */
        String reverse(InetAddress address) throws Exception;

        Resolver SYSTEM = new Resolver() {
            @Override public InetAddress[] lookup(String host) throws Exception { return InetAddress.getAllByName(host); }

            @Override public String reverse(InetAddress a) throws Exception {
                // A fresh object without a cached name forces the PTR lookup (and the JDK's forward check).
                String n = InetAddress.getByAddress(a.getAddress()).getCanonicalHostName();
                return n.equals(a.getHostAddress()) ? null : n;
            }
        };
    }

    private Whitelist() {}

    /** {@link #resolve(Path, InstanceConfig, List, Resolver, Duration)} with the system resolver and 2 s. */
    public static Result resolve(Path configFile, InstanceConfig instance, List<InetAddress> local) throws ConfigException {
        return resolve(configFile, instance, local, Resolver.SYSTEM, DEFAULT_TIMEOUT);
    }

    /**
     * @param configFile for messages
     * @param instance   the instance whose whitelist this is
     * @param local      the capture interface's own addresses (and any others that count as "us")
     * @param resolver   name service
     * @param timeout    bound on each lookup (lookups run in parallel)
     * @throws ConfigException when the whitelist is empty, or left empty after dropping local
     *                         addresses and names that did not resolve
     */
    public static Result resolve(Path configFile, InstanceConfig instance, List<InetAddress> local,
                                 Resolver resolver, Duration timeout) throws ConfigException {
        return resolve(configFile, instance, local, resolver, timeout, true);
    }

    /**
     * As above; with {@code log} false nothing is logged (warnings are only returned), for the
     * periodic lookups of {@link AddressRefresh}, which log what changed instead.
     */
    public static Result resolve(Path configFile, InstanceConfig instance, List<InetAddress> local,
                          Resolver resolver, Duration timeout, boolean log) throws ConfigException {
        String where = instance.keyPath();
        if (instance.ips().isEmpty() && instance.hosts().isEmpty())
            throw new ConfigException(configFile, where, "the whitelist (ips/hosts) is empty; go-metro measures only traffic to listed peers",
                    "add ips: [...] or hosts: [...]");
        List<String> warnings = new ArrayList<>();
        Set<InetAddress> ours = new HashSet<>(local);
        Map<InetAddress, String> names = new LinkedHashMap<>();
        List<InetAddress> droppedLocal = new ArrayList<>();

        // Start every lookup at once; the deadline is shared, so the total wait is ~timeout.
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, CompletableFuture<InetAddress[]>> forward = new LinkedHashMap<>();
        for (String h : instance.hosts()) forward.put(h, async(() -> resolver.lookup(h)));
        Map<InetAddress, CompletableFuture<String>> reverse = new LinkedHashMap<>();
        for (InetAddress a : instance.ips())
            if (!ours.contains(a)) reverse.put(a, async(() -> resolver.reverse(a)));

        for (var e : forward.entrySet()) {
            InetAddress[] addrs;
            try {
                addrs = await(e.getValue(), deadline);
            } catch (Exception ex) {
                warn(warnings, log, configFile + ": " + where + "." + ConfigKey.HOSTS.key() + ": " + e.getKey() + " did not resolve ("
                        + reason(ex, timeout) + "); skipped");
                continue;
            }
            for (InetAddress a : addrs) {
                if (ours.contains(a)) { droppedLocal.add(a); continue; }
                names.putIfAbsent(a, e.getKey());
            }
        }
        for (InetAddress a : instance.ips()) {
            if (ours.contains(a)) { droppedLocal.add(a); continue; }
            if (names.containsKey(a)) continue; // a host's own name wins over a reverse lookup
            String name = null;
            try {
                name = await(reverse.get(a), deadline);
            } catch (Exception ex) {
                if (log) LOG.info("{}: {}.{}: no name for {} ({}); tagging with the address", configFile, where, ConfigKey.IPS.key(),
                        a.getHostAddress(), reason(ex, timeout));
            }
            // The fallback is the RFC 5952 text the src: tag uses (getHostAddress writes fd00:1:0:0:0:0:0:2).
            names.put(a, name == null || name.isBlank() ? Addresses.toString(Addresses.hi(a), Addresses.lo(a)) : name);
        }
        if (!droppedLocal.isEmpty())
            warn(warnings, log, configFile + ": " + where + ": " + addrList(droppedLocal)
                    + " are this host's own addresses, not peers; ignored");
        if (names.isEmpty()) {
            String why = droppedLocal.isEmpty() ? "no host in hosts: resolved" : "it holds only this host's own addresses";
            throw new ConfigException(configFile, where, "the whitelist (ips/hosts) has no usable peer: " + why
                    + "; go-metro measures only traffic to listed peers",
                    "list the remote servers this host talks to under ips: [...] or hosts: [...]");
        }
        return new Result(new ArrayList<>(names.keySet()), names, warnings);
    }

    private interface Call<T> { T call() throws Exception; }

    private static <T> CompletableFuture<T> async(Call<T> c) {
        CompletableFuture<T> f = new CompletableFuture<>();
        // Daemon platform thread: a native getaddrinfo that hangs must not keep the JVM alive or pin a carrier.
        Thread t = new Thread(() -> {
            try { f.complete(c.call()); } catch (Throwable e) { f.completeExceptionally(e); }
        }, "go-metro-resolve");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static <T> T await(CompletableFuture<T> f, long deadline) throws Exception {
        long left = Math.max(0, deadline - System.nanoTime());
        try {
            return f.get(left, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static String reason(Exception e, Duration timeout) {
        if (e instanceof TimeoutException) return "no answer within " + timeout.toMillis() + " ms";
        if (e instanceof java.net.UnknownHostException) return "unknown host";
        return String.valueOf(e.getMessage());
    }

    private static void warn(List<String> warnings, boolean log, String msg) {
        warnings.add(msg);
        if (log) LOG.warn(msg);
    }

    private static String addrList(List<InetAddress> l) {
        return Arrays.toString(l.stream().map(InetAddress::getHostAddress).distinct().toArray());
    }

    /** Convenience for callers that only need the literal strings (e.g. building the BPF filter). */
    public static List<String> literals(Result r) {
        return r.peers().stream().map(InetAddress::getHostAddress).toList();
    }

}
