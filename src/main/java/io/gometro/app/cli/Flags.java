package io.gometro.app.cli;

import io.gometro.net.IpLiterals;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line, parsed with Go {@code flag} package rules so that supervisord entries written
 * for go-metro keep working:
 * <ul>
 *   <li>{@code -name=value}, {@code -name value}, {@code --name=value}, {@code --name value};</li>
 *   <li>booleans only as {@code -st} or {@code -st=false} ({@code -st false} would leave "false" as an
 *       argument; we refuse stray arguments instead of silently ignoring them as Go does);</li>
 *   <li>parsing stops at {@code --}; a flag given twice keeps the last value;</li>
 *   <li>unknown flag, missing value or bad value: one-line error plus usage, exit 2;
 *       {@code -h}, {@code -help}, {@code --help}: usage, exit 0.</li>
 * </ul>
 * Immutable once parsed.
 */
public final class Flags {
    public static final String DEFAULT_CFG = "/etc/dd-agent/conf.d/go-metro.yaml";
    /** The config's home on a host without Agent v5 (Agent 6/7, or none), beside system-probe.yaml. */
    public static final String AGENT7_CFG = "/etc/datadog-agent/go-metro.yaml";
    public static final String DEFAULT_LOG = "/var/log/datadog/go-metro.log";
    public static final String DEFAULT_FILTER = "tcp";

    private Path cfg = Path.of(DEFAULT_CFG);
    private boolean cfgGiven;
    private boolean status;
    private Path log = Path.of(DEFAULT_LOG);
    private String filter = DEFAULT_FILTER;
    private boolean filterGiven;
    private boolean soften = true;
    private boolean version;
    private Path pcap;
    private List<InetAddress> local = List.of();
    private boolean json;
    private boolean reportStatsd = true;
    private boolean reportConsole;

    /** The values -report takes, as the usage and its errors say them. */
    static final String REPORT_VALUES = "statsd, console, or statsd,console";

    private Flags() {}

    /** -cfg: the YAML configuration file. */
    public Path cfg() { return cfg; }
    /** Whether -cfg was given: -status then looks in both config homes. */
    public boolean cfgGiven() { return cfgGiven; }
    /** -status: print the running daemon's status and exit (0 all capture, 1 some or none, 3 no daemon). */
    public boolean status() { return status; }
    /** -log: the log file used when log_to_file is true. */
    public Path log() { return log; }
    /** -f: the base BPF filter; the whitelist is and-ed to it. */
    public String filter() { return filter; }
    /** Whether -f was given: analysis mode filters nothing without it (decode skips what is not TCP). */
    public boolean filterGiven() { return filterGiven; }
    /** -st: true reports the RFC 6298 SRTT as .avg; false reports the plain mean of the interval. */
    public boolean soften() { return soften; }
    /** -version: print the version and exit 0. */
    public boolean version() { return version; }
    /** -pcap: analysis mode on this capture file (no config, no DogStatsD). */
    public Optional<Path> pcap() { return Optional.ofNullable(pcap); }
    /** -local: our own addresses in the -pcap file; empty means every sender is measured. */
    public List<InetAddress> local() { return local; }
    /** -json: analysis, -status or -report=console output as JSON instead of a table. */
    public boolean json() { return json; }
    /** -report: the daemon sends each flush to DogStatsD (the default). */
    public boolean reportStatsd() { return reportStatsd; }
    /** -report: the daemon prints each flush on stdout (-report=console). */
    public boolean reportConsole() { return reportConsole; }
    /** True in analysis mode (-pcap given). */
    public boolean analysis() { return pcap != null; }

    /** The usage text, Go style, ending with a newline. */
    public static String usage() {
        return """
                Usage of go-metro:
                  -cfg string
                    \tYAML configuration file. (default "%s")
                  -log string
                    \tDestination log file, used when init_config.log_to_file is true. (default "%s")
                  -f string
                    \tBPF base filter for pcap; the whitelist is added to it. (default "%s")
                  -st
                    \tSoften RTT: report the RFC 6298 smoothed RTT as .avg; -st=false reports the
                    \tplain mean of the interval's samples. (default true)
                  -pcap string
                    \tAnalysis mode: read this capture file, print per-flow RTTs and exit.
                  -local string
                    \tWith -pcap: comma-separated IPs that are "us" (default: every sender).
                  -report string
                    \tWhere the daemon sends each flush: statsd (DogStatsD), console (stdout, to
                    \tcheck a config without DogStatsD), or statsd,console. (default "statsd")
                  -json
                    \tWith -pcap, -status or -report=console: print JSON instead of a table.
                  -status
                    \tPrint the running daemon's status (its status file, init_config.status_file of
                    \t-cfg, else of %s, else of %s) and exit: 0 when every
                    \tinstance captures, 1 when some or none do, 3 when no daemon runs or its status is stale.
                  -version
                    \tPrint the version and exit.
                  -h, -help
                    \tPrint this help and exit.
                Booleans take their value with '=': -st=false.
                """.formatted(DEFAULT_CFG, DEFAULT_LOG, DEFAULT_FILTER, AGENT7_CFG, DEFAULT_CFG);
    }

    /**
     * Parses the arguments.
     *
     * @throws FlagException with exit code 2 for any mistake, 0 for a help request
     */
    public static Flags parse(String... args) throws FlagException {
        Flags f = new Flags();
        boolean localGiven = false, jsonGiven = false, reportGiven = false;
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            if (a.equals("--")) { i++; break; }
            if (a.length() < 2 || a.charAt(0) != '-') break; // first non-flag argument ("-" included)
            int dashes = a.charAt(1) == '-' ? 2 : 1;
            String body = a.substring(dashes);
            if (body.isEmpty() || body.charAt(0) == '-' || body.charAt(0) == '=')
                throw usageError("bad flag syntax: " + a);
            String name = body, value = null;
            int eq = body.indexOf('=');
            if (eq >= 0) { name = body.substring(0, eq); value = body.substring(eq + 1); }
            i++;
            switch (name) {
                case "h", "help" -> throw new FlagException(null, 0);
                case "st" -> f.soften = bool(name, value);
                case "version" -> f.version = bool(name, value);
                case "status" -> f.status = bool(name, value);
                case "json" -> { f.json = bool(name, value); jsonGiven = true; }
                case "cfg", "log", "f", "pcap", "local", "report" -> {
                    if (value == null) {
                        if (i >= args.length) throw usageError("flag needs an argument: -" + name);
                        value = args[i++];
                    }
                    switch (name) {
                        case "cfg" -> {
                            f.cfg = path(name, value);
                            f.cfgGiven = true;
                        }
                        case "log" -> f.log = path(name, value);
                        case "f" -> {
                            if (value.isBlank()) throw usageError("invalid value \"\" for flag -f: the BPF filter is empty; omit -f to use \"tcp\"");
                            f.filter = value;
                            f.filterGiven = true;
                        }
                        case "pcap" -> f.pcap = path(name, value);
                        case "report" -> {
                            f.report(value);
                            reportGiven = true;
                        }
                        default -> { f.local = ips(value); localGiven = true; }
                    }
                }
                default -> throw usageError("flag provided but not defined: -" + name);
            }
        }
        if (i < args.length) {
            String extra = args[i];
            String hint = extra.equalsIgnoreCase("true") || extra.equalsIgnoreCase("false")
                    ? "; boolean flags take their value with '=', e.g. -st=" + extra.toLowerCase() : "";
            throw usageError("unexpected argument \"" + extra + "\"" + hint);
        }
        if (f.pcap == null && localGiven)
            throw usageError("-local applies only to analysis mode; add -pcap=FILE");
        if (f.pcap == null && !f.status && !f.reportConsole && jsonGiven && f.json)
            throw usageError("-json applies only to analysis mode (-pcap=FILE), to -status and to -report=console");
        if (reportGiven && (f.pcap != null || f.status))
            throw usageError("-report applies only to the daemon: " + (f.status ? "-status" : "-pcap")
                    + " prints its own output; drop -report");
        if (f.pcap != null && f.status)
            throw usageError("-status and -pcap do not go together: -status reads the running daemon's status");
        return f;
    }

    private static FlagException usageError(String msg) { return new FlagException(msg, 2); }

    private void report(String value) throws FlagException {
        boolean statsd = false, console = false;
        for (String part : value.split(",", -1)) {
            switch (part.strip()) {
                case "statsd" -> statsd = true;
                case "console" -> console = true;
                default -> throw usageError("invalid value \"" + value + "\" for flag -report: use " + REPORT_VALUES);
            }
        }
        reportStatsd = statsd;
        reportConsole = console;
    }

    /**
     * For a command line that did not parse: the log file the daemon would have written (the last
     * {@code -log}, else the default), or null when the arguments ask for analysis, the version or
     * help, which print to the terminal and never write the daemon's log.
     */
    public static Path daemonLog(String... args) {
        Path log = Path.of(DEFAULT_LOG);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) break;
            String body = a.startsWith("--") ? a.substring(2) : a.startsWith("-") ? a.substring(1) : null;
            if (body == null) continue;
            String name = body.contains("=") ? body.substring(0, body.indexOf('=')) : body;
            switch (name) {
                case "pcap", "version", "status", "h", "help" -> { return null; }
                case "log" -> {
                    String v = body.contains("=") ? body.substring(body.indexOf('=') + 1)
                            : i + 1 < args.length ? args[++i] : "";
                    try {
                        if (!v.isEmpty()) log = Path.of(v);
                    } catch (java.nio.file.InvalidPathException e) {
                        // keep the default
                    }
                }
                default -> { }
            }
        }
        return log;
    }

    // Go's strconv.ParseBool spellings.
    private static boolean bool(String name, String value) throws FlagException {
        if (value == null) return true;
        return switch (value) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw usageError("invalid boolean value \"" + value + "\" for -" + name + ": use -" + name + "=true or -" + name + "=false");
        };
    }

    private static Path path(String name, String value) throws FlagException {
        if (value.isEmpty()) throw usageError("invalid value \"\" for flag -" + name + ": the path is empty");
        try {
            return Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw usageError("invalid value \"" + value + "\" for flag -" + name + ": not a path");
        }
    }

    private static List<InetAddress> ips(String value) throws FlagException {
        List<InetAddress> out = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String p = part.strip();
            out.add(IpLiterals.parse(p).orElseThrow(() -> usageError("invalid value \"" + p
                    + "\" for flag -local: not an IP address; write -local=10.0.0.5,2001:db8::5")));
        }
        return List.copyOf(out);
    }
}
