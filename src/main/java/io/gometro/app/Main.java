package io.gometro.app;

import io.gometro.app.cli.Flags;
import io.gometro.app.cli.FlagException;
import io.gometro.app.cli.Version;
import io.gometro.app.logging.LogSetup;
import io.gometro.app.signals.StopSignals;
import io.gometro.app.daemon.Daemon;
import io.gometro.app.commands.Analyze;
import io.gometro.app.commands.StatusCommand;
import io.gometro.config.ConfigMissingException;

/**
 * Entry point. Go-style flags; {@code -pcap} selects analysis mode, otherwise the
 * daemon runs. Exit codes: 0 ok, 1 failure, 2 bad flags (as Go's flag package).
 */
public final class Main {
    private Main() {}

    private static boolean logStarted;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (InterruptedException e) {
            code = 1;
        }
        // Only the daemon starts log4j; shutting it down here otherwise would load it (~0.1 s) just to stop it.
        if (logStarted) LogSetup.shutdown();
        System.exit(code);
    }

    static int run(String[] args) throws InterruptedException {
        Flags flags;
        try {
            flags = Flags.parse(args);
        } catch (FlagException e) {
            e.print(System.err);
            if (e.exitCode() != 0 && Flags.daemonLog(args) != null) {
                // The daemon under supervisord: stderr is discarded, so the reason goes to the log too.
                logStarted = true;
                LogSetup.boot();
                LogSetup.bootAlsoTo(Flags.daemonLog(args));
                org.apache.logging.log4j.LogManager.getLogger(Main.class)
                        .error("bad command line: {}; see go-metro -h", e.getMessage());
            }
            return e.exitCode();
        }
        if (flags.version()) {
            System.out.println("go-metro " + Version.get() + " (Java " + Runtime.version() + ")");
            return 0;
        }
        if (flags.status()) return StatusCommand.run(flags, System.out, System.err);
        if (flags.analysis()) {
            // Under the launcher the stop signals arrive blocked (lib/sigblock); the
            // analyzer has no signal thread, so let Ctrl-C kill it the ordinary way.
            if (StopSignals.blockedInThisThread()) {
                try {
                    StopSignals.setBlockedInThisThread(false);
                } catch (Throwable ignored) {
                    // stays blocked: the analysis still ends on its own at the end of the file
                }
            }
            return Analyze.run(flags.pcap().orElseThrow().toString(), flags.local(), flags.json(),
                    flags.filterGiven() ? flags.filter() : null, System.out, System.err);
        }
        logStarted = true;
        LogSetup.boot();
        return Daemon.run(flags, java.util.List.of(args));
    }
}
