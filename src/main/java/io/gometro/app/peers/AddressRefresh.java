package io.gometro.app.peers;

import io.gometro.net.Addresses;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Keeps one live instance's addresses current: the whitelist, and the interface's own addresses
 * that tell which side of a flow is us. go-metro read both once, at start; names behind load
 * balancers and CDNs move to new addresses within hours, hosts gain and lose addresses, and the
 * capture then silently missed that traffic until a restart. Every {@code resolve_interval} a
 * background thread does the start-up work again (the interface's addresses, then
 * {@link Whitelist#resolve}, quietly), and the capture thread takes the result at its next flush
 * through {@link #poll}, which never blocks.
 *
 * <p>Whitelist merge rule: an address stays whitelisted while some lookup returned it within
 * {@link #RETAIN} (DNS rotates its answers, and a connection opened to an address goes on after the
 * address has left them); no more than {@link #MAX_PEERS} addresses (or the latest answer's, if
 * more), the longest unseen leaving first, so that the BPF program stays small. A lookup that
 * finds no usable peer at all (a name server outage) changes nothing. New lookup warnings (a name
 * that stopped resolving) are logged once, when they appear.
 *
 * <p>Own addresses: replaced by the interface's current ones, unless it has none at that moment
 * (an interface being reconfigured), which keeps the previous ones.
 *
 * <p>Threads: only the capture thread calls {@link #poll}; the lookup thread only completes the
 * future it was given.
 */
public final class AddressRefresh {
    private static final Logger LOG = LogManager.getLogger(AddressRefresh.class);
    static final Duration RETAIN = Duration.ofHours(1);
    /**
     * The BPF program must stay within the kernel's 4,096 instructions: 128 IPv6 hosts compile to
     * ~2,300 (256 would be ~4,600; IPv4 hosts take a sixth of that).
     */
    static final int MAX_PEERS = 128;

    /** One lookup: the interface's addresses, then the whitelist as at start. Runs on the lookup thread. */
    @FunctionalInterface
    public interface Lookup {
        Answer resolve() throws Exception;
    }

    /** What one lookup found: the interface's own addresses and the whitelist. */
    public record Answer(List<InetAddress> local, Whitelist.Result whitelist) {}

    /**
     * What changed.
     *
     * @param peers   every whitelisted address, first seen first (a stable filter order)
     * @param names   tag name of each of them
     * @param added   addresses new in this update
     * @param removed addresses unseen for longer than {@link #RETAIN}, or past {@link #MAX_PEERS}
     * @param whitelistChanged peers or names differ from before
     * @param local   the interface's own addresses if they changed, else null
     */
    public record Update(List<InetAddress> peers, Map<InetAddress, String> names, List<InetAddress> added,
                  List<InetAddress> removed, boolean whitelistChanged, List<InetAddress> local) {}

    private final String what;
    private final Lookup lookup;
    private final long intervalNanos;
    private final LinkedHashMap<InetAddress, Long> lastSeen = new LinkedHashMap<>();
    private final Map<InetAddress, String> names = new HashMap<>();
    private List<InetAddress> local;
    private Set<String> warnings;
    private CompletableFuture<Answer> pending;
    private long nextAt;

    /**
     * @param what     names the instance in log lines (its interface)
     * @param lookup   the lookup to repeat
     * @param local    the interface's addresses at start
     * @param initial  the start-up result, the whitelist in force
     * @param interval time between the end of one lookup and the start of the next; positive
     * @param nowNanos {@link System#nanoTime()} now
     */
    public AddressRefresh(String what, Lookup lookup, List<InetAddress> local, Whitelist.Result initial, Duration interval,
                   long nowNanos) {
        if (interval.isZero() || interval.isNegative()) throw new IllegalArgumentException("interval " + interval);
        this.what = what;
        this.lookup = lookup;
        this.intervalNanos = interval.toNanos();
        this.local = List.copyOf(local);
        for (InetAddress a : initial.peers()) lastSeen.put(a, nowNanos);
        names.putAll(initial.names());
        warnings = new HashSet<>(initial.warnings());
        nextAt = nowNanos + intervalNanos;
    }

    /**
     * Capture thread, at each flush: takes a finished lookup's result, or starts a lookup when one
     * is due. Never waits.
     *
     * @return what changed, if this call took a result that changed anything, else null
     */
    public Update poll(long nowNanos) {
        if (pending != null) {
            if (!pending.isDone()) return null;
            CompletableFuture<Answer> done = pending;
            pending = null;
            nextAt = nowNanos + intervalNanos;
            try {
                return merge(done.join(), nowNanos);
            } catch (CompletionException e) {
                Throwable why = e.getCause() == null ? e : e.getCause();
                String msg = what + ": looking the whitelist up again failed: " + why.getMessage()
                        + "; keeping the current one";
                if (warnings.add(msg)) LOG.warn(msg);
                return null;
            }
        }
        if (nowNanos - nextAt >= 0) pending = start();
        return null;
    }

    /** The whitelist in force, first seen first. */
    List<InetAddress> peers() {
        return List.copyOf(lastSeen.keySet());
    }

    /** True while a lookup runs. */
    boolean looking() {
        return pending != null;
    }

    /** The interface's own addresses in force. */
    List<InetAddress> local() {
        return local;
    }

    private CompletableFuture<Answer> start() {
        CompletableFuture<Answer> f = new CompletableFuture<>();
        // Daemon thread: a lookup must never hold the JVM up at exit (Whitelist bounds its waits).
        Thread t = new Thread(() -> {
            try {
                f.complete(lookup.resolve());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "go-metro-refresh-" + what);
        t.setDaemon(true);
        t.start();
        return f;
    }

    private Update merge(Answer answer, long now) {
        Whitelist.Result r = answer.whitelist();
        List<InetAddress> newLocal = null;
        if (!answer.local().isEmpty() && !new HashSet<>(answer.local()).equals(new HashSet<>(local))) {
            local = List.copyOf(answer.local());
            newLocal = local;
        }
        Set<String> fresh = new HashSet<>(r.warnings());
        for (String w : fresh) if (!warnings.contains(w)) LOG.warn(w);
        warnings = fresh;

        List<InetAddress> before = List.copyOf(lastSeen.keySet());
        Map<InetAddress, String> namesBefore = Map.copyOf(names);
        for (InetAddress a : r.peers()) lastSeen.put(a, now); // an existing key keeps its place
        // Whitelist names an address by its literal when a reverse lookup fails (a DNS blip): that
        // must not replace a name already known, or the tags would flip to a new series and back.
        r.names().forEach((a, n) -> {
            if (!n.equals(Addresses.toString(Addresses.hi(a), Addresses.lo(a))) || !names.containsKey(a)) names.put(a, n);
        });
        // An address that became our own is no peer, whatever a lookup returned before.
        lastSeen.keySet().removeAll(local);
        lastSeen.values().removeIf(seen -> now - seen > RETAIN.toNanos());
        // Only retained, no longer returned addresses are capped: the latest answer always counts whole.
        int cap = Math.max(MAX_PEERS, r.peers().size()); // Whitelist.Result's peers hold no duplicates
        while (lastSeen.size() > cap) {
            InetAddress oldest = null;
            long at = 0;
            for (Map.Entry<InetAddress, Long> e : lastSeen.entrySet()) {
                if (oldest == null || e.getValue() - at < 0) { oldest = e.getKey(); at = e.getValue(); }
            }
            lastSeen.remove(oldest);
        }
        names.keySet().retainAll(lastSeen.keySet());

        Set<InetAddress> had = new HashSet<>(before);
        List<InetAddress> added = new ArrayList<>();
        for (InetAddress a : lastSeen.keySet()) if (!had.contains(a)) added.add(a);
        List<InetAddress> removed = new ArrayList<>();
        for (InetAddress a : before) if (!lastSeen.containsKey(a)) removed.add(a);
        boolean whitelistChanged = !added.isEmpty() || !removed.isEmpty() || !names.equals(namesBefore);
        if (!whitelistChanged && newLocal == null) return null;
        return new Update(List.copyOf(lastSeen.keySet()), Map.copyOf(names), List.copyOf(added), List.copyOf(removed),
                whitelistChanged, newLocal);
    }
}
