package io.gometro.app;

import io.gometro.capture.CaptureException;
import io.gometro.capture.CaptureHandle;
import io.gometro.capture.FilterBuilder;
import io.gometro.config.GoMetroConfig;
import io.gometro.config.InstanceConfig;
import io.gometro.decode.Addresses;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;
import io.gometro.flow.FlowTracker;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.report.CaptureCounters;
import io.gometro.report.StatsdReporter;
import io.gometro.report.StatsdSink;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

/**
 * One instance's capture thread. It owns the pcap handle, the packet pump and the
 * flow tracker; reporting happens on this thread at each flush tick (the DogStatsD
 * client's own thread does the sending). Nothing here is shared but the stop flag.
 */
final class Sniffer implements Runnable, FlowListener {
    private static final Logger LOG = LogManager.getLogger(Sniffer.class);
    private static final long NANOS = 1_000_000_000L;

    private final GoMetroConfig cfg;
    private final InstanceConfig inst;
    private final String baseFilter;
    private String filter;
    private String goodFilter;     // the last filter a handle accepted
    /** Null: the whitelist is fixed (a file, or resolve_interval 0). */
    private final AddressRefresh refresh;
    private final Shutdown shutdown;
    private final FlowTracker tracker;
    private final StatsdReporter reporter;
    private CaptureHandle handle;
    private boolean handleOpen;
    // pcap_stats restart with each handle (sampling reopens it): totals of closed handles.
    private CaptureHandle.Stats closedTotals = new CaptureHandle.Stats(0, 0, 0);
    private PacketPump pump;

    private long reportedEvictions;
    private volatile boolean failed;
    private volatile boolean finished;
    private final Thread thread;

    /**
     * Opens the capture now, so that a permission or interface error stops start-up.
     *
     * @param baseFilter -f, or null for "tcp"; the whitelist is appended (FilterBuilder)
     * @param peers      the whitelist in force at start
     * @param refresh    keeps the whitelist current, or null
     */
    Sniffer(GoMetroConfig cfg, InstanceConfig inst, String baseFilter, List<InetAddress> peers, LocalPolicy local,
            Map<InetAddress, String> names, List<String> tags, boolean soften, StatsdSink sink,
            Shutdown shutdown, AddressRefresh refresh) throws CaptureException {
        this.cfg = cfg;
        this.inst = inst;
        this.baseFilter = baseFilter;
        this.filter = FilterBuilder.build(baseFilter, literals(peers));
        this.refresh = refresh;
        this.shutdown = shutdown;
        this.tracker = new FlowTracker(new TrackerConfig(
                cfg.idleTtl().toNanos(), cfg.expTtl().toNanos(), cfg.flushInterval().toNanos(),
                cfg.maxFlows(), cfg.maxPending(), false), local, this);
        this.reporter = new StatsdReporter(sink, iface(), tags, names, soften, this::counters);
        open();
        this.thread = new Thread(this, "sniffer-" + iface());
    }

    private String iface() { return inst.isFile() ? "file" : inst.interfaceName(); }

    private void open() throws CaptureException {
        handle = inst.isFile()
                ? CaptureHandle.openOffline(inst.pcap().orElseThrow().toString())
                : CaptureHandle.openLive(inst.interfaceName(), cfg.snaplen(), cfg.readTimeoutMs(), cfg.bufferSize());
        try {
            handle.setFilter(filter);
            goodFilter = filter;
        } catch (CaptureException e) {
            // A whitelist looked up again while the handle was closed (sampling) was never tried on
            // a handle: fall back to the last filter that was, rather than stop the instance.
            if (goodFilter == null || goodFilter.equals(filter)) {
                handle.close();
                throw e;
            }
            warnFilterKept(e);
            filter = goodFilter;
            try {
                handle.setFilter(filter);
            } catch (CaptureException again) {
                handle.close();
                throw again;
            }
        }
        handleOpen = true;
        if (pump == null) pump = new PacketPump(tracker, handle.linkType());
        LOG.info("capturing on {} (link type {}) with filter \"{}\"",
                inst.isFile() ? inst.pcap().orElseThrow() : inst.interfaceName(), handle.linkType(), filter);
    }

    void start() { thread.start(); }

    boolean alive() { return thread.isAlive(); }

    void join(long millis) throws InterruptedException { thread.join(millis); }

    /** The capture ended on an error (an interface that vanished, a damaged file). */
    boolean failed() { return failed; }

    /** A replayed file reached its end. */
    boolean finished() { return finished; }

    @Override
    public void run() {
        try {
            if (inst.sample() && !inst.isFile()) runSampled(); else runOnce(shutdown::requested);
        } catch (RuntimeException | Error e) {
            failed = true;
            LOG.error("capture on {} stopped: {}", iface(), e.toString());
        } finally {
            long end = Math.max(tracker.clock(), System.currentTimeMillis() * 1_000_000L);
            tracker.finish(inst.isFile() ? tracker.clock() : end);
            closeHandle();
        }
    }

    private void runOnce(java.util.function.BooleanSupplier stop) {
        CaptureHandle.End end = handle.loop(pump, stop);
        switch (end) {
            case EOF -> {
                finished = true;
                LOG.info("{}: end of capture file after {} packets", inst.pcap().orElseThrow(), pump.packets);
            }
            case ERROR -> {
                failed = true;
                LOG.error("capture on {} failed: {}; exiting so that supervisord restarts go-metro",
                        iface(), handle.lastError());
            }
            case STOPPED -> { }
        }
    }

    /** sample: true — capture for sample_duration out of every sample_interval, closing the handle between. */
    private void runSampled() {
        long duration = inst.sampleDuration().toMillis(), interval = inst.sampleInterval().toMillis();
        while (!shutdown.requested() && !failed) {
            long cycleStart = System.currentTimeMillis();
            long stopAt = cycleStart + duration;
            runOnce(() -> shutdown.requested() || System.currentTimeMillis() >= stopAt);
            if (failed || shutdown.requested()) return;
            closeHandle();
            try {
                if (shutdown.await(cycleStart + interval - System.currentTimeMillis())) return;
            } catch (InterruptedException e) {
                return;
            }
            tracker.advanceTo(System.currentTimeMillis() * 1_000_000L);
            tracker.forgetInFlight();
            try {
                open();
            } catch (CaptureException e) {
                failed = true;
                LOG.error("capture on {} could not reopen for the next sample: {}", iface(), e.getMessage());
                return;
            }
        }
    }

    private void closeHandle() {
        if (!handleOpen) return;
        closedTotals = statsNow();
        handleOpen = false;
        handle.close();
    }

    private CaptureHandle.Stats statsNow() {
        if (!handleOpen || !handle.isLive()) return closedTotals;
        CaptureHandle.Stats s = handle.stats();
        return new CaptureHandle.Stats(closedTotals.received() + s.received(),
                closedTotals.dropped() + s.dropped(), closedTotals.ifDropped() + s.ifDropped());
    }

    private CaptureCounters counters() {
        CaptureHandle.Stats s = statsNow();
        return new CaptureCounters(pump.packets, s.dropped(), s.ifDropped(), tracker.activeConnections());
    }

    @Override
    public void onFlush(long nowNanos, List<Flow> fresh) {
        long ev = tracker.evictions();
        if (ev > reportedEvictions) {
            // Once per flush at most: a flood must not flood the log too.
            LOG.warn("{}: flow table full (max_flows {}): evicted {} longest-idle connections since the last flush",
                    iface(), cfg.maxFlows(), ev - reportedEvictions);
            reportedEvictions = ev;
        }
        if (pump.damaged() > 0) LOG.debug("{}: {} truncated or malformed packets skipped so far", iface(), pump.damaged());
        reporter.onFlush(nowNanos, fresh);
        if (refresh != null) {
            AddressRefresh.Update u = refresh.poll(System.nanoTime());
            if (u != null) apply(u);
        }
    }

    /**
     * Addresses looked up again. Own addresses go to the tracker at once (it measures senders that
     * are local from the next packet on). A changed whitelist: the new filter goes on the open handle at once
     * (libpcap refilters what is already in the ring) or on the next one (sampling), and the
     * reporter takes the names.
     */
    private void apply(AddressRefresh.Update u) {
        if (u.local() != null) {
            tracker.setLocal(LocalPolicy.of(Addresses.pairs(u.local())));
            LOG.info("{}: this host's addresses on it are now {}", iface(), describe(u.local(), Map.of()));
        }
        if (!u.whitelistChanged()) return;
        String next = FilterBuilder.build(baseFilter, literals(u.peers()));
        if (!next.equals(filter) && handleOpen) {
            try {
                handle.setFilter(next);
                goodFilter = next;
            } catch (CaptureException e) {
                warnFilterKept(e);
                return;
            }
        }
        filter = next;
        reporter.setNames(u.names());
        LOG.info("{}: whitelist looked up again: {} addresses; added {}, removed {}", iface(), u.peers().size(),
                describe(u.added(), u.names()), describe(u.removed(), Map.of()));
        LOG.debug("{}: filter now \"{}\"", iface(), filter);
    }

    private void warnFilterKept(CaptureException e) {
        LOG.warn("{}: cannot install the re-resolved whitelist ({}); keeping the previous filter", iface(), e.getMessage());
    }

    private static List<String> literals(List<InetAddress> peers) {
        return peers.stream().map(InetAddress::getHostAddress).toList();
    }

    private static String describe(List<InetAddress> l, Map<InetAddress, String> names) {
        if (l.isEmpty()) return "none";
        StringBuilder b = new StringBuilder();
        for (InetAddress a : l) {
            if (!b.isEmpty()) b.append(", ");
            String text = Addresses.toString(Addresses.hi(a), Addresses.lo(a)); // RFC 5952, as in the tags
            b.append(text);
            String n = names.get(a);
            if (n != null && !n.equals(text)) b.append(" (").append(n).append(')');
        }
        return b.toString();
    }

    @Override
    public void onRemoved(Flow flow, Removal why) {
        reporter.onRemoved(flow, why);
    }
}
