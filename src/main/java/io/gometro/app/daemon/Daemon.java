package io.gometro.app.daemon;

import io.gometro.app.cli.Flags;
import io.gometro.app.cli.Version;
import io.gometro.app.logging.LogSetup;
import io.gometro.app.signals.Shutdown;
import io.gometro.app.peers.Whitelist;
import io.gometro.app.peers.AddressRefresh;
import io.gometro.app.pipeline.Sniffer;
import io.gometro.app.pipeline.Warmup;
import io.gometro.capture.CaptureException;
import io.gometro.capture.InterfaceAddresses;
import io.gometro.config.ConfigException;
import io.gometro.config.ConfigKey;
import io.gometro.config.ConfigLoader;
import io.gometro.config.ConfigMissingException;
import io.gometro.config.DogStatsdAddress;
import io.gometro.config.GoMetroConfig;
import io.gometro.config.InstanceConfig;
import io.gometro.flow.LocalPolicy;
import io.gometro.net.Addresses;
import io.gometro.report.ConsoleReport;
import io.gometro.report.ReportSink;
import io.gometro.report.StatsdReporter;
import io.gometro.report.StatsdSink;
import io.gometro.report.StatusBoard;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon: config, logging, one {@link Sniffer} per instance, then wait for a
 * signal, a failed capture or the end of every replayed file. Exit codes: 0 after a
 * clean stop (and after a missing config, 5 s late so supervisord does not count a
 * fast failure), 1 when the config is wrong or no capture can start or a capture
 * fails, so that the supervisor restarts us. Before such an exit the service check
 * {@code go_metro.can_capture} goes CRITICAL with the reason, and the status file says it.
 */
public final class Daemon {
    private static final Logger LOG = LogManager.getLogger(Daemon.class);
    static final long MISSING_CONFIG_WAIT_MILLIS = 5_000;
    /** Enough for C1 to compile the per-packet path (its thresholds are in the launcher). */
    static final int WARMUP_EXCHANGES = 3_000;

    private Daemon() {}

    /** {@code args}: the user's arguments, for the process title. */
    public static int run(Flags flags, List<String> args) throws InterruptedException {
        // Only under the launcher (it sets gometro.home): a plain `java -cp` keeps its command line.
        if (System.getProperty("gometro.home") != null) ProcessTitle.set("go-metro", args);
        // First thing, so a stop signal is honoured in every phase, the missing-config wait too.
        Shutdown shutdown = new Shutdown();
        shutdown.installSignalHandlers();
        int code = run(flags, shutdown);
        // The last line says why we stopped (supervisord only sees the exit code).
        if (shutdown.reason() != null) LOG.info("go-metro stopped ({}), exit code {}", shutdown.reason(), code);
        else LOG.info("go-metro stopped, exit code {}", code);
        return code;
    }

    private static int run(Flags flags, Shutdown shutdown) throws InterruptedException {
        GoMetroConfig loaded;
        try {
            loaded = ConfigLoader.load(flags.cfg());
        } catch (ConfigMissingException e) {
            LogSetup.bootAlsoTo(flags.log());
            LOG.error("{}; waiting {} s before exiting", e.getMessage(), MISSING_CONFIG_WAIT_MILLIS / 1000);
            shutdown.await(MISSING_CONFIG_WAIT_MILLIS);
            return 0;
        } catch (ConfigException e) {
            LogSetup.bootAlsoTo(flags.log());
            LOG.error(e.getMessage());
            return 1;
        }
        LogSetup.configure(loaded.logLevel(), loaded.logToFile(), flags.log());
        for (String w : loaded.warnings()) LOG.warn(w);
        DogStatsdAddress dogstatsd = null;
        if (flags.reportStatsd()) {
            try {
                dogstatsd = DogStatsdAddress.choose(loaded, System.getenv());
            } catch (ConfigException e) {
                LOG.error(e.getMessage());
                return 1;
            }
        }
        String dogstatsdText = dogstatsd == null ? "not used (-report=console)"
                : dogstatsd.url() + " (" + dogstatsd.origin() + ")";
        LOG.info("go-metro {} starting: config {}, {} instance(s), DogStatsD {}",
                Version.get(), loaded.file(), loaded.instances().size(), dogstatsdText);
        GoMetroConfig cfg;
        try {
            cfg = HeapBudget.fit(loaded, Runtime.getRuntime().maxMemory());
        } catch (ConfigException e) {
            LOG.error(e.getMessage());
            return 1;
        }
        if (cfg.maxFlows() != loaded.maxFlows()) {
            LOG.info("max_flows is not set: {} connections per instance fit {} instances' flow tables in the {} MB heap "
                    + "(set {} to choose)", cfg.maxFlows(), cfg.instances().size(),
                    Runtime.getRuntime().maxMemory() >> 20, ConfigKey.MAX_FLOWS.path());
        }

        if (cfg.instances().stream().anyMatch(i -> !i.isFile())) {
            long t0 = System.nanoTime();
            long samples = Warmup.run(WARMUP_EXCHANGES);
            LOG.debug("hot path warmed up in {} ms ({} samples)", (System.nanoTime() - t0) / 1_000_000, samples);
        }
        // -report=console alone opens no DogStatsD client: nothing is sent, and nothing warns that nothing listens.
        StatsdSink sink = flags.reportStatsd() ? new StatsdSink(dogstatsd) : null;
        ReportSink console = flags.reportConsole() ? new ConsoleReport(System.out, flags.json()) : null;
        StatusBoard board = new StatusBoard(cfg.statusFile(), cfg.flushInterval().toSeconds(), cfg.file().toString(),
                dogstatsdText, Version.get());
        List<Sniffer> sniffers = new ArrayList<>();
        boolean permissionDenied = false;
        try {
            for (InstanceConfig inst : cfg.instances()) {
                List<InetAddress> ours = inst.isFile() ? List.of() : InterfaceAddresses.of(inst.interfaceName());
                Whitelist.Result wl;
                try {
                    wl = Whitelist.resolve(cfg.file(), inst, ours);
                } catch (ConfigException e) {
                    LOG.error(e.getMessage());
                    return 1;
                }
                // Live: we are the interface's addresses. A replayed file has no interface,
                // so "us" is every address that is not a whitelisted peer.
                LocalPolicy local = inst.isFile()
                        ? LocalPolicy.allBut(Addresses.pairs(wl.peers()))
                        : LocalPolicy.of(Addresses.pairs(ours));
                // A file replays the past: its addresses are those at start. Live, names and hosts move.
                AddressRefresh refresh = inst.isFile() || cfg.resolveInterval().isZero() ? null
                        : new AddressRefresh(inst.interfaceName(), () -> {
                            List<InetAddress> own = InterfaceAddresses.of(inst.interfaceName());
                            return new AddressRefresh.Answer(own, Whitelist.resolve(cfg.file(), inst, own,
                                    Whitelist.Resolver.SYSTEM, Whitelist.DEFAULT_TIMEOUT, false));
                        }, ours, wl, cfg.resolveInterval(), System.nanoTime());
                String iface = inst.isFile() ? "file" : inst.interfaceName();
                StatusBoard.Slot slot = board.slot(new StatusBoard.InstanceStatus(inst.keyPath(), iface, "starting",
                        null, System.currentTimeMillis(), 0, 0, 0, 0, 0,
                        Sniffer.whitelistText(wl.peers(), wl.names()), List.of()));
                try {
                    sniffers.add(new Sniffer(cfg, inst, flags.filter(), wl.peers(), local, wl.names(), inst.tags(),
                            flags.soften(), sink, console, shutdown, refresh, slot));
                    slot.publish(slot.get().withState("capturing", null, System.currentTimeMillis()));
                } catch (CaptureException e) {
                    permissionDenied |= e.isPermission();
                    LOG.error("{}: {}", inst.keyPath(), e.getMessage());
                    StatsdReporter.cannotCapture(sink, slot, inst.tags(), e.getMessage());
                }
            }
            if (sniffers.isEmpty()) {
                LOG.fatal("no capture could start{}; exiting", permissionDenied
                        ? ": go-metro needs the CAP_NET_RAW capability (see the README, 'The capability')" : "");
                return 1;
            }
            if (sniffers.size() < cfg.instances().size()) {
                LOG.warn("{} of {} instances are capturing", sniffers.size(), cfg.instances().size());
            }
            for (Sniffer s : sniffers) s.start();
            return superviseUntilDone(sniffers, shutdown);
        } finally {
            // Silent: a signal, a failed capture or the files' end has already been logged, and a
            // config or start-up error must not be followed by "stopping after a last flush".
            shutdown.stop();
            for (Sniffer s : sniffers) s.join(3_000);
            board.stopped();
            if (sink != null) sink.close();
        }
    }

    private static int superviseUntilDone(List<Sniffer> sniffers, Shutdown shutdown) throws InterruptedException {
        while (true) {
            if (shutdown.await(200) || shutdown.requested()) return waitForLastFlush(sniffers, 0);
            boolean anyAlive = false;
            for (Sniffer s : sniffers) {
                if (s.failed()) {
                    shutdown.request("a capture failed");
                    return waitForLastFlush(sniffers, 1);
                }
                anyAlive |= s.alive();
            }
            if (!anyAlive) {
                LOG.info("every capture has ended");
                return 0;
            }
        }
    }

    private static int waitForLastFlush(List<Sniffer> sniffers, int code) throws InterruptedException {
        for (Sniffer s : sniffers) s.join(1_500);
        return code;
    }
}
