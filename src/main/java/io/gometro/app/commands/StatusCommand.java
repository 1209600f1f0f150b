package io.gometro.app.commands;

import io.gometro.app.cli.Flags;
import io.gometro.config.ConfigException;
import io.gometro.config.ConfigKey;
import io.gometro.config.ConfigLoader;
import io.gometro.config.GoMetroConfig;
import io.gometro.report.StatusBoard;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code go-metro -status [-cfg=PATH] [-json]}: reads the status file the daemon rewrites at every
 * flush ({@link StatusBoard}) and says what it holds. The file is found through the config's
 * {@code init_config.status_file}: the -cfg given, else the first of the two config homes that
 * exists, else the default. Exit codes:
 * <ul>
 * <li>0: the daemon runs and every instance captures;</li>
 * <li>1: it runs, and some instances, or none, capture;</li>
 * <li>3: no daemon runs (no status file, or its process is gone or stopped), or its status is older
 *     than three flushes. The first line says which.</li>
 * </ul>
 */
public final class StatusCommand {
    static final int OK = 0, NOT_ALL = 1, NOT_RUNNING = 3;
    /** A status older than this many flush intervals is a daemon that stopped flushing. */
    static final int STALE_FLUSHES = 3;

    private StatusCommand() {}

    public static int run(Flags flags, PrintStream out, PrintStream err) {
        Path file = statusFile(flags, err);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            out.println("go-metro is not running: no status file " + file + " (the daemon writes it at start and at every "
                    + "flush; see the log, /var/log/datadog/go-metro.log)");
            return NOT_RUNNING;
        } catch (IOException | SecurityException e) {
            out.println("go-metro status unknown: cannot read " + file + ": " + e.getMessage()
                    + " (run as root or as dd-agent)");
            return NOT_RUNNING;
        }
        Map<?, ?> s;
        try {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            if (!(o instanceof Map<?, ?> m) || !Integer.valueOf(StatusBoard.FORMAT).equals(m.get("format"))) {
                throw new IllegalArgumentException("not a status file of this go-metro");
            }
            s = m;
        } catch (RuntimeException e) {
            out.println("go-metro status unknown: " + file + " is damaged or of another version (" + e.getMessage()
                    + "); it is rewritten at the daemon's next flush");
            return NOT_RUNNING;
        }
        long now = System.currentTimeMillis();
        long written = num(s.get("written_ms"));
        long flush = Math.max(1, num(s.get("flush_interval_s")));
        long pid = num(s.get("pid"));
        int code;
        String verdict;
        if (!Boolean.TRUE.equals(s.get("running"))) {
            code = NOT_RUNNING;
            verdict = "go-metro is not running: pid " + pid + " stopped at " + time(written);
        } else if (!alive(pid, num(s.get("process_started_ms")))) {
            code = NOT_RUNNING;
            verdict = "go-metro is not running: pid " + pid + " is gone (killed, or the host restarted); its last status "
                    + "was written at " + time(written);
        } else if (now - written > STALE_FLUSHES * flush * 1000) {
            code = NOT_RUNNING;
            verdict = "go-metro (pid " + pid + ") runs but its status is " + (now - written) / 1000 + " s old, more than "
                    + STALE_FLUSHES + " flushes of " + flush + " s: it has stopped flushing; see the log";
        } else {
            long capturing = instances(s).stream().filter(i -> "capturing".equals(i.get("state"))).count();
            int all = instances(s).size();
            code = capturing == all && all > 0 ? OK : NOT_ALL;
            verdict = "go-metro " + s.get("version") + " (pid " + pid + ") runs: " + capturing + " of " + all
                    + " instances capturing";
        }
        if (flags.json()) {
            out.print(text);
            err.println(verdict);
        } else {
            out.println(verdict);
            describe(s, file, now, out);
        }
        return code;
    }

    /** The status file named by the config -status is pointed at, or the default one. */
    static Path statusFile(Flags flags, PrintStream err) {
        Path cfg = flags.cfgGiven() ? flags.cfg()
                : Files.exists(Path.of(Flags.AGENT7_CFG)) ? Path.of(Flags.AGENT7_CFG)
                : Files.exists(Path.of(Flags.DEFAULT_CFG)) ? Path.of(Flags.DEFAULT_CFG) : null;
        if (cfg == null) return ConfigKey.STATUS_FILE.defaultPath();
        try {
            return ConfigLoader.load(cfg).statusFile();
        } catch (ConfigException e) {
            err.println("go-metro: " + e.getMessage() + "; reading the default status file "
                    + ConfigKey.STATUS_FILE.defaultPath());
            return ConfigKey.STATUS_FILE.defaultPath();
        }
    }

    /** The process is the one that wrote the file: same pid, same start time (a reused pid is not). */
    private static boolean alive(long pid, long startedMillis) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().startInstant())
                .map(t -> Math.abs(t.toEpochMilli() - startedMillis) < 1_000)
                .orElse(false);
    }

    private static void describe(Map<?, ?> s, Path file, long now, PrintStream out) {
        out.println("  status file " + file + ", written " + ago(now, num(s.get("written_ms")))
                + "; config " + s.get("config") + "; DogStatsD " + s.get("dogstatsd"));
        for (Map<?, ?> i : instances(s)) {
            String state = String.valueOf(i.get("state"));
            out.println();
            out.printf(Locale.ROOT, "%s %s: %s since %s%s%n", i.get("key"), i.get("iface"), state,
                    time(num(i.get("since_ms"))), i.get("reason") == null ? "" : ": " + i.get("reason"));
            out.printf(Locale.ROOT, "  %d packets, %d dropped, %d active flows%n",
                    num(i.get("packets")), num(i.get("dropped")), num(i.get("active_flows")));
            long last = num(i.get("last_flush_ms"));
            out.println(last == 0 ? "  no flush yet"
                    : "  last flush " + ago(now, last) + ": " + num(i.get("pairs_reported")) + " pairs reported");
            out.println("  whitelist: " + (list(i.get("whitelist")).isEmpty() ? "none" : String.join(", ",
                    list(i.get("whitelist")).stream().map(String::valueOf).toList())));
            List<?> pairs = list(i.get("pairs"));
            if (pairs.isEmpty()) continue;
            out.printf(Locale.ROOT, "  %-40s %-40s %9s %9s %9s%n", "src", "dst", "rtt ms", "avg ms", "jitter ms");
            for (Object o : pairs) {
                Map<?, ?> p = (Map<?, ?>) o;
                out.printf(Locale.ROOT, "  %-40s %-40s %9.3f %9.3f %9.3f%n", p.get("src"), p.get("dst"),
                        dbl(p.get("rtt_ms")), dbl(p.get("avg_ms")), dbl(p.get("jitter_ms")));
            }
        }
    }

    private static List<Map<?, ?>> instances(Map<?, ?> s) {
        return list(s.get("instances")).stream().filter(Map.class::isInstance).<Map<?, ?>>map(o -> (Map<?, ?>) o).toList();
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static double dbl(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String time(long millis) {
        return millis <= 0 ? "?" : Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String ago(long now, long millis) {
        return time(millis) + " (" + Math.max(0, (now - millis) / 1000) + " s ago)";
    }
}
