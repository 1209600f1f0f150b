package io.gometro.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Every key go-metro.yaml may hold: where it goes, its type, its default, its range and one line
 * of doc. This table is the one place those facts live. {@link ConfigLoader} takes its known keys,
 * defaults, ranges and fixes from here; the README's key table is generated from it and the
 * example file is checked against it ({@code ConfigKeyDocsTest}), so neither can drift.
 *
 * <p>Defaults are written as they would be in YAML, so that the docs show exactly what the loader
 * uses; {@link #defaultInt()} and the other accessors read them.
 */
public enum ConfigKey {
    INIT_CONFIG(Section.TOP, "init_config", Kind.MAPPING, null, 0, 0, true, "settings shared by all instances"),
    INSTANCES(Section.TOP, "instances", Kind.LIST, null, 0, 0, true,
            "one entry per interface to capture on; required (or config:)"),
    CONFIG(Section.TOP, "config", Kind.LIST, null, 0, 0, true,
            "go-metro's own name for instances:, which its code and example use; one or the other"),

    SNAPLEN(Section.INIT, "snaplen", Kind.INTEGER, "512", 104, 65535, true,
            "bytes captured per packet; 104 holds the largest IP + TCP headers"),
    IDLE_TTL(Section.INIT, "idle_ttl", Kind.SECONDS, "300", 1, Limits.YEAR, true,
            "seconds without traffic after which a flow is dropped"),
    EXP_TTL(Section.INIT, "exp_ttl", Kind.SECONDS, "60", 1, Limits.YEAR, true,
            "seconds a flow is kept after its FIN/RST"),
    EXPIRED_TTL(Section.INIT, "expired_ttl", Kind.SECONDS, "60", 1, Limits.YEAR, true,
            "the name go-metro's code reads for exp_ttl; if both are set they must agree"),
    STATSD_IP(Section.INIT, "statsd_ip", Kind.HOST, "127.0.0.1", 0, 0, true,
            "DogStatsD address, IP or host name; unset with statsd_port: from the environment (DD_DOGSTATSD_URL, DD_AGENT_HOST)"),
    STATSD_PORT(Section.INIT, "statsd_port", Kind.INTEGER, "8125", 1, 65535, true,
            "DogStatsD UDP port; unset with statsd_ip: from the environment (DD_DOGSTATSD_PORT)"),
    LOG_TO_FILE(Section.INIT, "log_to_file", Kind.BOOLEAN, "true", 0, 0, true,
            "log to the -log file; false logs to stdout"),
    LOG_LEVEL(Section.INIT, "log_level", Kind.LEVEL, "info", 0, 0, true,
            "one of " + LogLevel.SPELLINGS),
    FLUSH_INTERVAL(Section.INIT, "flush_interval", Kind.SECONDS, "30", 1, 3600, false,
            "seconds between two reports to DogStatsD"),
    MAX_FLOWS(Section.INIT, "max_flows", Kind.INTEGER, "100000", 1, 10_000_000, false,
            "flows tracked per instance; when full the longest-idle flow is evicted; unset, lowered to fit the heap"),
    MAX_PENDING(Section.INIT, "max_pending", Kind.INTEGER, "1024", 1, 65536, false,
            "unacknowledged segments remembered per flow"),
    /*
     * 8 MiB: the kernel ring is resident, so this is RSS. Before the daemon warmed its hot path up
     * (Warmup), 4 MiB dropped packets at the start of a burst at ~900 k packets/s (tcpreplay
     * --topspeed on the bench's veth, 2 cores shared with the sender). With the warm-up, at
     * 840-920 k packets/s: 8 MiB and 4 MiB dropped nothing (4 MiB: 3 of 3 runs), 2 MiB dropped in
     * 1 run of 3, 1 MiB dropped. 8 MiB keeps twice the margin for bursts on a busier host; the
     * README tells operators that 4 MiB saves 4 MB.
     */
    BUFFER_SIZE(Section.INIT, "buffer_size", Kind.INTEGER, "8388608", 65536, 1 << 30, false,
            "kernel capture buffer in bytes; raise it if the log reports drops"),
    READ_TIMEOUT_MS(Section.INIT, "read_timeout_ms", Kind.INTEGER, "100", 1, 10_000, false,
            "capture read timeout in ms; also how often the report clock advances when idle"),
    /* Five minutes: names behind load balancers and CDNs change their addresses within hours. */
    RESOLVE_INTERVAL(Section.INIT, "resolve_interval", Kind.SECONDS, "300", 0, 86_400, false,
            "seconds between lookups of hosts, ips' names and own addresses; 0 = only at start, else at least "
                    + Limits.MIN_RESOLVE_SECONDS),
    /*
     * A directory dd-agent may write under systemd (the unit's StateDirectory) and under
     * supervisord (the package makes it); ProtectSystem=strict leaves little else.
     */
    STATUS_FILE(Section.INIT, "status_file", Kind.PATH, "/var/lib/go-metro/status.json", 0, 0, false,
            "absolute path where the daemon keeps its status for go-metro -status"),
    PERCENTILES(Section.INIT, "percentiles", Kind.BOOLEAN, "false", 0, 0, false,
            "also send rtt.median, .95percentile, .99percentile, .max and .count per pair"),

    INTERFACE(Section.INSTANCE, "interface", Kind.TEXT, null, 0, 0, true,
            "capture device (required); file replays pcap: instead"),
    PCAP(Section.INSTANCE, "pcap", Kind.PATH, null, 0, 0, true,
            "with interface: file, the capture to replay (relative to the config's directory)"),
    TAGS(Section.INSTANCE, "tags", Kind.LIST, null, 0, 0, true,
            "tags added to every metric of the instance"),
    IPS(Section.INSTANCE, "ips", Kind.LIST, null, 0, 0, true,
            "whitelisted peers by IPv4 or IPv6 address"),
    HOSTS(Section.INSTANCE, "hosts", Kind.LIST, null, 0, 0, true,
            "whitelisted peers by name, looked up at start and every resolve_interval"),
    SAMPLE(Section.INSTANCE, "sample", Kind.BOOLEAN, "false", 0, 0, true,
            "capture in duty cycles"),
    SAMPLE_DURATION(Section.INSTANCE, "sample_duration", Kind.SECONDS, "10", 1, 86_400, true,
            "with sample: true, seconds captured in every cycle (less than sample_interval)"),
    SAMPLE_INTERVAL(Section.INSTANCE, "sample_interval", Kind.SECONDS, "60", 1, 86_400, true,
            "with sample: true, seconds per cycle");

    /** Where a key goes: the top level, {@code init_config:}, or each entry of {@code instances:}. */
    public enum Section {
        TOP(""), INIT("init_config."), INSTANCE("instances[N].");

        private final String prefix;

        Section(String prefix) { this.prefix = prefix; }

        /** How a key of this section is written in messages and docs, e.g. {@code init_config.snaplen}. */
        public String prefix() { return prefix; }
    }

    /** What a key's value is. */
    public enum Kind {
        MAPPING("mapping"), LIST("list"), TEXT("text"), INTEGER("whole number"), SECONDS("seconds"),
        BOOLEAN("true or false"), LEVEL("log level"), HOST("IP or host name"), PATH("file path");

        private final String label;

        Kind(String label) { this.label = label; }

        /** The type as the docs name it. */
        public String label() { return label; }
    }

    /** Bounds that are not one key's own range. */
    static final class Limits {
        /** A TTL past a year is a typo (milliseconds for seconds, say). */
        static final long YEAR = 365L * 24 * 3600;
        /** resolve_interval other than 0 is at least this, so that a typo cannot hammer the name server. */
        static final long MIN_RESOLVE_SECONDS = 10;

        private Limits() { }
    }

    private final Section section;
    private final String key;
    private final Kind kind;
    private final String dflt;
    private final long min;
    private final long max;
    private final boolean goMetro;
    private final String doc;

    ConfigKey(Section section, String key, Kind kind, String dflt, long min, long max, boolean goMetro, String doc) {
        this.section = section;
        this.key = key;
        this.kind = kind;
        this.dflt = dflt;
        this.min = min;
        this.max = max;
        this.goMetro = goMetro;
        this.doc = doc;
    }

    public Section section() { return section; }

    /** The key as written in the file. */
    public String key() { return key; }

    public Kind kind() { return kind; }

    /** The default as YAML text, or null when there is none (required, or empty when absent). */
    public String defaultText() { return dflt; }

    /** Lower bound of a number, inclusive (INTEGER and SECONDS only). */
    public long min() { return min; }

    /** Upper bound of a number, inclusive (INTEGER and SECONDS only). */
    public long max() { return max; }

    /** True for go-metro's own keys; false for the keys this implementation adds. */
    public boolean fromGoMetro() { return goMetro; }

    /** One line of doc. */
    public String doc() { return doc; }

    /** Where the key is, as messages name it: {@code init_config.snaplen}. */
    public String path() { return section.prefix() + key; }

    public boolean hasRange() { return kind == Kind.INTEGER || kind == Kind.SECONDS; }

    public int defaultInt() { return Math.toIntExact(defaultLong()); }

    public long defaultLong() {
        require(hasRange());
        return Long.parseLong(dflt);
    }

    public Duration defaultDuration() {
        require(kind == Kind.SECONDS);
        return Duration.ofSeconds(Long.parseLong(dflt));
    }

    public boolean defaultBoolean() {
        require(kind == Kind.BOOLEAN);
        return Boolean.parseBoolean(dflt);
    }

    public Path defaultPath() {
        require(kind == Kind.PATH && dflt != null);
        return Path.of(dflt);
    }

    public LogLevel defaultLevel() {
        require(kind == Kind.LEVEL);
        return LogLevel.parse(dflt).orElseThrow();
    }

    /** The keys a section may hold, in the order the docs list them. */
    public static List<ConfigKey> in(Section s) {
        return java.util.Arrays.stream(values()).filter(k -> k.section == s).toList();
    }

    /** The range as the fix of an out-of-range value says it: {@code 104..65535} or {@code 1..3600 s}. */
    public String range() {
        require(hasRange());
        return min + ".." + max + (kind == Kind.SECONDS ? " s" : "");
    }

    private void require(boolean ok) {
        if (!ok) throw new IllegalStateException(this + " is a " + kind + Objects.toString(dflt == null ? " without default" : ""));
    }
}
