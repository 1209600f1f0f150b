package io.gometro.app.pipeline;

import io.gometro.app.signals.Shutdown;
import io.gometro.app.peers.AddressRefresh;
import io.gometro.capture.CaptureException;
import io.gometro.capture.FilterBuilder;
import io.gometro.capture.PacketSource;
import io.gometro.config.GoMetroConfig;
import io.gometro.config.InstanceConfig;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;
import io.gometro.flow.FlowTracker;
import io.gometro.flow.IntervalSamples;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.net.Addresses;
import io.gometro.report.CaptureCounters;
import io.gometro.report.ReportSink;
import io.gometro.report.Reporter;
import io.gometro.report.StatsdReporter;
import io.gometro.report.StatsdSink;
import io.gometro.report.StatusBoard;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One instance's capture thread, and its runner. It owns the pcap handle, the packet pump,
 * the flow tracker and the schedule's clock: a monotonic clock live (an NTP step or a
 * resumed VM moves no flush and expires nothing), packet time for a replayed file. The
 * capture loop returns to {@link #runCapture} every {@link PacketPump#BATCH} packets, once it
 * has drained what the kernel buffered, on a quiet read timeout and when a flush falls due; there, between packets and never inside the per-packet
 * callback, the runner moves the tracker's clock, flushes when a tick is due (reporting,
 * stats, the whitelist refresh and its filter swap) and watches the wall clock for steps.
 * The DogStatsD client's own thread does the sending. Nothing here is shared but the stop flag.
 */
public final class Sniffer implements Runnable, FlowListener {
    private static final Logger LOG = LogManager.getLogger(Sniffer.class);
    private static final long NANOS = 1_000_000_000L;
    /**
     * A change of the wall clock against the monotonic one beyond this is a step (NTP, a VM
     * resumed), not a slew (at most 0.5 ms/s): segments in flight then would be timed across it.
     */
    static final long CLOCK_STEP_NANOS = 50_000_000L;

    private final GoMetroConfig cfg;
    private final InstanceConfig inst;
    private final String baseFilter;
    private List<InetAddress> peers;   // the whitelist in force
    private int cutTo = -1;            // how many of it the last filter held, when it was cut
    private String filter;
    private String goodFilter;     // the last filter a handle accepted
    /** Null: the whitelist is fixed (a file, or resolve_interval 0). */
    private final AddressRefresh refresh;
    private final Shutdown shutdown;
    private final FlowTracker tracker;
    private final Reporter reporter;
    private PacketSource handle;
    private boolean handleOpen;
    // pcap_stats restart with each handle (sampling reopens it): totals of closed handles.
    private PacketSource.Stats closedTotals = new PacketSource.Stats(0, 0, 0);
    private PacketPump pump;

    private long reportedEvictions;
    private long wallMinusMono = Long.MIN_VALUE;   // at the last look; MIN_VALUE before the first
    private volatile boolean failed;
    private final StatsdSink sink;
    private final List<String> tags;
    private final StatusBoard.Slot slot;
    private volatile boolean finished;
    private final Thread thread;

    /**
     * Opens the capture now, so that a permission or interface error stops start-up.
     *
     * @param baseFilter -f, or null for "tcp"; the whitelist is appended (FilterBuilder)
     * @param peers      the whitelist in force at start
     * @param refresh    keeps the whitelist current, or null
     * @param slot       this instance's place in the status file
     * @param sink       DogStatsD, shared by all instances, or null when the daemon does not report there
     * @param console    the console sink (-report=console), or null
     */
    public Sniffer(GoMetroConfig cfg, InstanceConfig inst, String baseFilter, List<InetAddress> peers, LocalPolicy local,
            Map<InetAddress, String> names, List<String> tags, boolean soften, StatsdSink sink, ReportSink console,
            Shutdown shutdown, AddressRefresh refresh, StatusBoard.Slot slot) throws CaptureException {
        this.cfg = cfg;
        this.inst = inst;
        this.baseFilter = baseFilter;
        this.peers = peers;
        this.refresh = refresh;
        this.shutdown = shutdown;
        this.sink = sink;
        this.tags = List.copyOf(tags);
        this.slot = slot;
        this.tracker = new FlowTracker(new TrackerConfig(
                cfg.idleTtl().toNanos(), cfg.expTtl().toNanos(), cfg.flushInterval().toNanos(),
                cfg.maxFlows(), cfg.maxPending(), false), local, this,
                inst.isFile() ? FlowTracker.Schedule.PACKET_TIME_RUNNER_FLUSHES : FlowTracker.Schedule.RUNNER_CLOCK);
        List<ReportSink> sinks = new ArrayList<>();
        if (sink != null) sinks.add(new StatsdReporter(sink, iface(), tags));
        sinks.add(slot);
        if (console != null) sinks.add(console);
        this.reporter = new Reporter(iface(), names, soften, this::counters, sinks);
        reporter.setWhitelist(whitelistText(peers, names));
        if (cfg.percentiles()) {
            IntervalSamples samples = new IntervalSamples();
            tracker.keepIntervalSamples(samples);
            reporter.sendPercentiles(samples);
        }
        open();
        this.thread = new Thread(this, "sniffer-" + iface());
    }

    private String iface() { return inst.isFile() ? "file" : inst.interfaceName(); }

    private void open() throws CaptureException {
        handle = inst.isFile()
                ? PacketSource.file(inst.pcap().orElseThrow().toString())
                : PacketSource.live(inst.interfaceName(), cfg.snaplen(), cfg.readTimeoutMs(), cfg.bufferSize());
        try {
            filter = filterFor(peers);
        } catch (CaptureException e) {
            handle.close();
            throw e;
        }
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

    public void start() { thread.start(); }

    public boolean alive() { return thread.isAlive(); }

    public void join(long millis) throws InterruptedException { thread.join(millis); }

    /** The capture ended on an error (an interface that vanished, a damaged file). */
    public boolean failed() { return failed; }

    /**
     * The capture cannot go on: the service check goes CRITICAL with the reason, and the status
     * file says it, before the daemon exits.
     */
    private void fail(String reason) {
        failed = true;
        StatsdReporter.cannotCapture(sink, slot, tags, reason);
    }

    /** The whitelist as -status shows it: each address, with its name where it has one. */
    public static List<String> whitelistText(List<InetAddress> peers, Map<InetAddress, String> names) {
        List<String> out = new ArrayList<>(peers.size());
        for (InetAddress a : peers) out.add(describe(List.of(a), names));
        return out;
    }

    /** A replayed file reached its end. */
    boolean finished() { return finished; }

    @Override
    public void run() {
        try {
            if (inst.sample() && !inst.isFile()) runSampled(); else runOnce(shutdown::requested);
        } catch (RuntimeException | Error e) {
            LOG.error("capture on {} stopped: {}", iface(), e.toString());
            fail(e.toString());
        } finally {
            tracker.finish(now());
            closeHandle();
        }
    }

    /** The schedule's clock: packet time for a replayed file, else monotonic. */
    private long now() {
        return inst.isFile() ? tracker.clock() : System.nanoTime();
    }

    /** Reads until the capture ends or stops, doing the control work between packets. */
    private PacketSource.End runCapture(java.util.function.BooleanSupplier stop) {
        for (;;) {
            betweenPackets();
            PacketSource.End end = handle.loop(pump, stop);
            if (end != PacketSource.End.YIELD) {
                betweenPackets();
                return end;
            }
        }
    }

    private void betweenPackets() {
        long now = now();
        if (!inst.isFile()) watchWallClock(now);
        tracker.advanceTo(now);
        if (tracker.flushDue()) tracker.flush();   // calls onFlush below
    }

    /**
     * Packet timestamps are the wall clock, and RTTs are their differences: a segment sent before
     * a step and acknowledged after it would be timed across the step. So at a step every flow
     * forgets its segments in flight (as after a duty-cycle pause) and starts again from the next.
     */
    private void watchWallClock(long mono) {
        long offset = System.currentTimeMillis() * 1_000_000L - mono;
        long was = wallMinusMono;
        wallMinusMono = offset;
        if (was == Long.MIN_VALUE || Math.abs(offset - was) <= CLOCK_STEP_NANOS) return;
        tracker.forgetInFlight();
        LOG.warn("{}: the system clock stepped by {} ms; segments in flight are not timed across the step",
                iface(), (offset - was) / 1_000_000L);
    }

    private void runOnce(java.util.function.BooleanSupplier stop) {
        PacketSource.End end = runCapture(stop);
        switch (end) {
            case EOF -> {
                finished = true;
                LOG.info("{}: end of capture file after {} packets", inst.pcap().orElseThrow(), pump.packets());
            }
            case ERROR -> {
                LOG.error("capture on {} failed: {}; exiting so that the supervisor restarts go-metro",
                        iface(), handle.lastError());
                fail(String.valueOf(handle.lastError()));
            }
            case STOPPED, YIELD -> { }
        }
    }

    /** sample: true — capture for sample_duration out of every sample_interval, closing the handle between. */
    private void runSampled() {
        long duration = inst.sampleDuration().toNanos(), interval = inst.sampleInterval().toNanos();
        while (!shutdown.requested() && !failed) {
            long cycleStart = System.nanoTime();
            long stopAt = cycleStart + duration;
            runOnce(() -> shutdown.requested() || System.nanoTime() - stopAt >= 0);
            if (failed || shutdown.requested()) return;
            closeHandle();
            try {
                if (shutdown.await((cycleStart + interval - System.nanoTime()) / 1_000_000L)) return;
            } catch (InterruptedException e) {
                return;
            }
            betweenPackets();
            tracker.forgetInFlight();
            try {
                open();
            } catch (CaptureException e) {
                LOG.error("capture on {} could not reopen for the next sample: {}", iface(), e.getMessage());
                fail(e.getMessage());
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

    private PacketSource.Stats statsNow() {
        if (!handleOpen || !handle.isLive()) return closedTotals;
        PacketSource.Stats s = handle.stats();
        return new PacketSource.Stats(closedTotals.received() + s.received(),
                closedTotals.dropped() + s.dropped(), closedTotals.ifDropped() + s.ifDropped());
    }

    private CaptureCounters counters() {
        PacketSource.Stats s = statsNow();
        return new CaptureCounters(pump.packets(), s.dropped(), s.ifDropped(), tracker.activeConnections(),
                tracker.copies(), tracker.discarded());
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
        String next;
        try {
            next = filterFor(u.peers());
        } catch (CaptureException e) {
            warnFilterKept(e);
            return;
        }
        peers = u.peers();
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
        reporter.setWhitelist(whitelistText(peers, u.names()));
        LOG.info("{}: whitelist looked up again: {} addresses; added {}, removed {}", iface(), u.peers().size(),
                describe(u.added(), u.names()), describe(u.removed(), Map.of()));
        LOG.debug("{}: filter now \"{}\"", iface(), filter);
    }

    /**
     * The whitelist filter for this link, cut to what the kernel accepts; a cut is logged (once
     * per size) with the key to change, since the addresses past it go unmeasured.
     */
    private String filterFor(List<InetAddress> whitelist) throws CaptureException {
        int snaplen = inst.isFile() ? 65535 : cfg.snaplen();
        FilterBuilder.Fitted f = FilterBuilder.fit(baseFilter, literals(whitelist), handle.linkType(), snaplen);
        if (f.kept() < whitelist.size() && f.kept() != cutTo) {
            LOG.warn("{}: ips and hosts give {} addresses, but a capture filter for more than the first {} is longer "
                    + "than the kernel's {} BPF instructions; the rest are not measured. Narrow ips/hosts, or split "
                    + "them over several instances on the same interface", inst.keyPath(), whitelist.size(), f.kept(),
                    FilterBuilder.MAX_INSTRUCTIONS);
        }
        cutTo = f.kept() < whitelist.size() ? f.kept() : -1;
        return f.filter();
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
}
