package io.gometro.config;

import io.gometro.net.IpLiterals;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and validates {@code go-metro.yaml}. The file is read with hard limits first (size,
 * aliases, nesting, duplicate keys) and then every key is checked; the first problem is thrown as
 * a one-line {@link ConfigException} naming file, key path and fix. Unknown keys are not errors:
 * they become {@link GoMetroConfig#warnings()}. Which keys exist, their defaults and their ranges
 * come from {@link ConfigKey}.
 *
 * <p>Usage: {@code GoMetroConfig c = ConfigLoader.load(Path.of(flags.cfg()));}
 */
public final class ConfigLoader {
    /** A real configuration is a few hundred bytes; anything near this is the wrong file. */
    public static final int MAX_FILE_BYTES = 1 << 20;
    static final int MAX_ALIASES = 50;
    static final int MAX_NESTING = 20;


    private final Path file;
    private final List<String> warnings = new ArrayList<>();

    private ConfigLoader(Path file) { this.file = file; }

    /**
     * Loads and validates a configuration file.
     *
     * @throws ConfigMissingException when the file does not exist (go-metro then sleeps 5 s and exits 0)
     * @throws ConfigException        for every other problem; the message is one line
     */
    public static GoMetroConfig load(Path file) throws ConfigException {
        ConfigLoader l = new ConfigLoader(file);
        return l.build(l.parse(l.read()));
    }

    // ---------------------------------------------------------------- reading

    private String read() throws ConfigException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new ConfigMissingException(file);
        } catch (AccessDeniedException e) {
            throw err(null, "cannot reach the file: permission denied",
                    "let the user go-metro runs as (dd-agent) traverse its directories (chmod o+x or g+x)");
        } catch (NotDirectoryException e) {
            throw new ConfigMissingException(file);
        } catch (IOException e) {
            throw err(null, "cannot read the file: " + e, "check -cfg");
        }
        if (attrs.isDirectory())
            throw err(null, "is a directory, not a file", "point -cfg at the go-metro.yaml file itself");
        if (!attrs.isRegularFile())
            throw err(null, "is not a regular file (device, FIFO or socket)", "point -cfg at a YAML file");
        if (attrs.size() > MAX_FILE_BYTES) throw tooBig(attrs.size());
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // Bounded even if the file grows between the size check and the read.
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (AccessDeniedException e) {
            throw err(null, "cannot read the file: permission denied",
                    "make it readable by the user go-metro runs as, e.g. chgrp dd-agent FILE && chmod 640 FILE");
        } catch (IOException e) {
            throw err(null, "cannot read the file: " + e.getMessage(), "check the file and the disk");
        }
        if (bytes.length > MAX_FILE_BYTES) throw tooBig(bytes.length);
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw err(null, "is not UTF-8 text", "save it as UTF-8 (plain ASCII is fine)");
        }
    }

    private ConfigException tooBig(long size) {
        return err(null, "file is " + size + " bytes, over the " + MAX_FILE_BYTES + "-byte limit",
                "a go-metro configuration is a few hundred bytes: check that -cfg names the right file");
    }

    private Object parse(String text) throws ConfigException {
        LoaderOptions o = new LoaderOptions();
        o.setAllowDuplicateKeys(false);
        o.setMaxAliasesForCollections(MAX_ALIASES);
        o.setAllowRecursiveKeys(false);
        o.setNestingDepthLimit(MAX_NESTING);
        o.setCodePointLimit(MAX_FILE_BYTES + 1024);
        DumperOptions d = new DumperOptions();
        // SafeConstructor: only maps, lists and plain scalars; no tags that instantiate classes.
        Yaml yaml = new Yaml(new SafeConstructor(o), new Representer(d), d, o, new Resolver());
        try {
            return yaml.load(text);
        } catch (DuplicateKeyException e) {
            throw err(where(e.getProblemMark()), "duplicate key: " + e.getProblem(), "keep only one of them");
        } catch (MarkedYAMLException e) {
            String ctx = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            throw err(where(e.getProblemMark()), "invalid YAML: " + e.getProblem() + ctx,
                    "check indentation (spaces, not tabs) and quoting around this line");
        } catch (YAMLException e) {
            throw err(null, "refused YAML: " + e.getMessage(),
                    "a go-metro configuration needs no anchors/aliases, deep nesting or huge documents");
        }
    }

    private static String where(Mark m) {
        return m == null ? null : "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
    }

    // ---------------------------------------------------------------- validation

    private GoMetroConfig build(Object root) throws ConfigException {
        if (root == null)
            throw err(null, "the file is empty", "add init_config: and instances: (see go-metro.yaml.example)");
        if (!(root instanceof Map<?, ?> top))
            throw err(null, "the top level is " + describe(root) + ", not a mapping",
                    "start the file with keys init_config: and instances: (see go-metro.yaml.example)");
        unknownKeys("", top, ConfigKey.Section.TOP);

        Map<?, ?> init = Map.of();
        Object initV = top.get("init_config");
        if (initV instanceof Map<?, ?> m) init = m;
        else if (initV != null)
            throw err("init_config", "expected a mapping, found " + describe(initV),
                    "write init_config: followed by indented key: value lines, or leave it empty");
        unknownKeys("init_config.", init, ConfigKey.Section.INIT);

        String pre = ConfigKey.Section.INIT.prefix();
        int snaplen = (int) integer(init, pre, ConfigKey.SNAPLEN);
        Duration idle = seconds(init, pre, ConfigKey.IDLE_TTL);
        Duration exp = expTtl(init);
        String statsdHost = statsdHost(init);
        int statsdPort = (int) integer(init, pre, ConfigKey.STATSD_PORT);
        boolean logToFile = bool(init, pre, ConfigKey.LOG_TO_FILE);
        LogLevel level = logLevel(init);
        Duration flush = seconds(init, pre, ConfigKey.FLUSH_INTERVAL);
        int maxFlows = (int) integer(init, pre, ConfigKey.MAX_FLOWS);
        int maxPending = (int) integer(init, pre, ConfigKey.MAX_PENDING);
        int bufferSize = (int) integer(init, pre, ConfigKey.BUFFER_SIZE);
        int readTimeout = (int) integer(init, pre, ConfigKey.READ_TIMEOUT_MS);
        Duration resolve = resolveInterval(init);
        Path statusFile = statusFile(init);
        boolean percentiles = bool(init, pre, ConfigKey.PERCENTILES);

        List<InstanceConfig> instances = instances(top);
        boolean statsdSet = has(init, ConfigKey.STATSD_IP) || has(init, ConfigKey.STATSD_PORT);
        return new GoMetroConfig(file, snaplen, idle, exp, statsdHost, statsdPort, statsdSet, logToFile, level, flush,
                maxFlows, has(init, ConfigKey.MAX_FLOWS), maxPending, bufferSize, readTimeout, resolve, statusFile,
                percentiles, instances, warnings);
    }

    private Duration expTtl(Map<?, ?> init) throws ConfigException {
        String pre = ConfigKey.Section.INIT.prefix();
        Duration exp = seconds(init, pre, ConfigKey.EXP_TTL);
        if (!has(init, ConfigKey.EXPIRED_TTL)) return exp;
        // go-metro's code read expired_ttl while its example file wrote exp_ttl: both are go-metro's.
        Duration spelt = seconds(init, pre, ConfigKey.EXPIRED_TTL);
        if (has(init, ConfigKey.EXP_TTL) && !spelt.equals(exp))
            throw err(ConfigKey.EXPIRED_TTL.path(), "conflicts with exp_ttl (" + spelt.toSeconds() + " vs "
                    + exp.toSeconds() + " s); both name the same setting", "keep only exp_ttl");
        return spelt;
    }

    /** 0 turns re-resolution off; otherwise at least 10 s, so that a typo cannot hammer the name server. */
    private Duration resolveInterval(Map<?, ?> init) throws ConfigException {
        ConfigKey k = ConfigKey.RESOLVE_INTERVAL;
        long s = integer(init, ConfigKey.Section.INIT.prefix(), k);
        if (s > 0 && s < ConfigKey.Limits.MIN_RESOLVE_SECONDS)
            throw err(k.path(), s + " s is too often to look names up",
                    "use 0 (only at start) or " + ConfigKey.Limits.MIN_RESOLVE_SECONDS + ".." + k.max()
                            + " seconds; the default is " + k.defaultText());
        return Duration.ofSeconds(s);
    }

    private Path statusFile(Map<?, ?> init) throws ConfigException {
        ConfigKey k = ConfigKey.STATUS_FILE;
        String key = k.path();
        Object v = init.get(k.key());
        if (v == null) return k.defaultPath();
        String fix = "write an absolute path in a directory the dd-agent user may write, e.g. status_file: "
                + k.defaultText();
        if (!(v instanceof String s) || s.isBlank()) throw err(key, "expected a file path, found " + describe(v), fix);
        try {
            Path p = Path.of(s.strip());
            if (!p.isAbsolute() || p.getFileName() == null) throw err(key, quote(s) + " is not an absolute file path", fix);
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw err(key, quote(s) + " is not a path", fix);
        }
    }

    private String statsdHost(Map<?, ?> init) throws ConfigException {
        ConfigKey k = ConfigKey.STATSD_IP;
        String key = k.path();
        Object v = init.get(k.key());
        if (v == null) return k.defaultText();
        if (!(v instanceof String s))
            throw err(key, "expected an IP address or host name, found " + describe(v), "write e.g. statsd_ip: 127.0.0.1");
        String t = s.strip();
        if (IpLiterals.parse(t).isPresent() || IpLiterals.isHostName(t)) return t;
        throw err(key, quote(s) + " is neither an IP address nor a host name",
                "write the DogStatsD address, e.g. statsd_ip: 127.0.0.1");
    }

    private LogLevel logLevel(Map<?, ?> init) throws ConfigException {
        ConfigKey k = ConfigKey.LOG_LEVEL;
        String key = k.path();
        Object v = init.get(k.key());
        if (v == null) return k.defaultLevel();
        if (!(v instanceof String s))
            throw err(key, "expected a level name, found " + describe(v), "use one of " + LogLevel.SPELLINGS);
        return LogLevel.parse(s).orElseThrow(() -> err(key, quote(s) + " is not a log level",
                "use one of " + LogLevel.SPELLINGS));
    }

    private List<InstanceConfig> instances(Map<?, ?> top) throws ConfigException {
        Object v = top.get("instances");
        String name = "instances";
        // go-metro's code reads config:, the Agent's convention (and go-metro's README) instances:.
        if (top.get("config") != null) {
            if (v != null)
                throw err("config", "both instances: and config: are present; they name the same list",
                        "move the config: entries under instances: and remove config:");
            v = top.get("config");
            name = "config";
        }
        String example = "e.g. instances: [{interface: eth0, ips: [192.0.2.10]}]";
        if (v == null) throw err(name, "missing", "add at least one instance, " + example);
        if (!(v instanceof List<?> list))
            throw err(name, "expected a list of instances, found " + describe(v), "start each instance with '- interface:', " + example);
        if (list.isEmpty()) throw err(name, "the list is empty", "add at least one instance, " + example);

        List<InstanceConfig> out = new ArrayList<>();
        Map<String, Integer> live = new HashMap<>();
        Map<Path, Integer> files = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String p = name + "[" + i + "]";
            InstanceConfig ic = instance(i, p, list.get(i));
            if (ic.isFile()) {
                Path key = ic.pcap().orElseThrow().normalize();
                Integer prev = files.putIfAbsent(key, i);
                if (prev != null)
                    throw err(p + ".pcap", quote(key.toString()) + " is already replayed by " + name + "[" + prev + "]",
                            "remove one of the two instances");
            } else {
                Integer prev = live.putIfAbsent(ic.interfaceName(), i);
                if (prev != null)
                    throw err(p + ".interface", quote(ic.interfaceName()) + " is already captured by " + name + "[" + prev + "]",
                            "merge the two instances into one (an interface is captured once)");
            }
            out.add(ic);
        }
        return out;
    }

    private InstanceConfig instance(int index, String p, Object v) throws ConfigException {
        if (!(v instanceof Map<?, ?> m))
            throw err(p, "expected a mapping with interface:, found " + describe(v),
                    "write each instance as '- interface: eth0' with its keys indented below");
        unknownKeys(p + ".", m, ConfigKey.Section.INSTANCE);
        String pre = p + ".";

        Object iv = m.get("interface");
        if (iv == null)
            throw err(pre + "interface", "missing", "add interface: eth0 (or interface: file with pcap: PATH)");
        if (!(iv instanceof String iface))
            throw err(pre + "interface", "expected an interface name, found " + describe(iv), "write e.g. interface: eth0 (quote names YAML reads as numbers)");
        iface = iface.strip();
        if (iface.isEmpty())
            throw err(pre + "interface", "is empty", "write e.g. interface: eth0 (or interface: file with pcap: PATH)");
        if (iface.chars().anyMatch(Character::isWhitespace))
            throw err(pre + "interface", quote(iface) + " contains white space", "write a single device name, e.g. interface: eth0");

        Optional<Path> pcap = Optional.empty();
        Object pv = m.get("pcap");
        if (InstanceConfig.FILE_INTERFACE.equals(iface)) {
            if (pv == null)
                throw err(pre + "pcap", "missing; interface file replays a capture file", "add pcap: /path/to/capture.pcap");
            if (!(pv instanceof String ps) || ps.isBlank())
                throw err(pre + "pcap", "expected a file path, found " + describe(pv), "write e.g. pcap: /path/to/capture.pcap");
            try {
                Path path = Path.of(ps.strip());
                if (!path.isAbsolute()) {
                    Path dir = file.toAbsolutePath().getParent();
                    path = dir == null ? path.toAbsolutePath() : dir.resolve(path);
                }
                pcap = Optional.of(path);
            } catch (InvalidPathException e) {
                throw err(pre + "pcap", quote(ps) + " is not a valid path", "write e.g. pcap: /path/to/capture.pcap");
            }
        } else if (pv != null) {
            warnings.add(ConfigException.format(file, pre + "pcap", "ignored because interface is not file",
                    "remove it, or set interface: file to replay the capture"));
        }

        List<String> tags = new ArrayList<>();
        for (Item it : list(m, pre + "tags", "tags", "tags: [\"env:prod\", \"team:net\"]")) {
            if (it.value instanceof Map<?, ?> tm && tm.size() == 1) {
                var e = tm.entrySet().iterator().next();
                throw err(it.path, "expected a tag, found a mapping (a space after the colon makes YAML read key: value)",
                        "write it as one string without the space: \"" + e.getKey() + ":" + e.getValue() + "\"");
            }
            if (!(it.value instanceof String s) || s.isBlank())
                throw err(it.path, "expected a tag such as env:prod, found " + describe(it.value), "quote it: \"" + it.value + "\"");
            tags.add(s.strip());
        }

        Set<InetAddress> ips = new LinkedHashSet<>();
        for (Item it : list(m, pre + "ips", "ips", "ips: [192.0.2.10, 2001:db8::10]")) {
            if (!(it.value instanceof String s))
                throw err(it.path, "expected an IP address, found " + describe(it.value),
                        "write an IPv4 (192.0.2.10) or IPv6 (2001:db8::10) address, in quotes if YAML misreads it");
            InetAddress a = IpLiterals.parse(s).orElseThrow(() -> err(it.path, quote(s) + " is not an IP address",
                    "write an IPv4 (192.0.2.10) or IPv6 (2001:db8::10) address; put names under hosts:"));
            ips.add(a);
        }

        List<String> hosts = new ArrayList<>();
        for (Item it : list(m, pre + "hosts", "hosts", "hosts: [app.example.com]")) {
            if (!(it.value instanceof String s))
                throw err(it.path, "expected a host name, found " + describe(it.value), "write a name such as app.example.com");
            String h = s.strip();
            if (!IpLiterals.isHostName(h) && IpLiterals.parse(h).isEmpty())
                throw err(it.path, quote(s) + " is not a valid host name", "write a name such as app.example.com");
            if (!hosts.contains(h)) hosts.add(h);
        }

        boolean sample = bool(m, pre, ConfigKey.SAMPLE);
        Duration dur = seconds(m, pre, ConfigKey.SAMPLE_DURATION);
        Duration intv = seconds(m, pre, ConfigKey.SAMPLE_INTERVAL);
        if (sample) {
            if (dur.compareTo(intv) >= 0)
                throw err(pre + "sample_duration", "sample_duration (" + dur.toSeconds()
                                + " s) must be shorter than sample_interval (" + intv.toSeconds() + " s)",
                        "lower sample_duration or raise sample_interval");
        } else {
            for (String k : List.of("sample_duration", "sample_interval"))
                if (m.get(k) != null)
                    warnings.add(ConfigException.format(file, pre + k, "ignored because sample is not true",
                            "add sample: true to capture in duty cycles, or remove it"));
        }
        return new InstanceConfig(index, iface, pcap, tags, List.copyOf(ips), hosts, sample, dur, intv);
    }

    // ---------------------------------------------------------------- typed getters

    private record Item(String path, Object value) {}

    /** A list-valued key: absent/null is empty; a scalar or mapping is an error with an example. */
    private List<Item> list(Map<?, ?> m, String path, String key, String example) throws ConfigException {
        Object v = m.get(key);
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) {
            String fix = v instanceof String s ? "write it as a list: " + key + ": [" + s + "]" : "write it as a list, e.g. " + example;
            if (v instanceof Map<?, ?> mm && !mm.isEmpty() && key.equals("tags")) {
                var e = mm.entrySet().iterator().next();
                fix = "write it as a list of strings, e.g. tags: [\"" + e.getKey() + ":" + e.getValue() + "\"]";
            }
            throw err(path, "expected a list, found " + describe(v), fix);
        }
        List<Item> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) out.add(new Item(path + "[" + i + "]", l.get(i)));
        return out;
    }

    private static boolean has(Map<?, ?> m, ConfigKey k) { return m.get(k.key()) != null; }

    /** A whole number within the key's range; absent, the key's default. */
    private long integer(Map<?, ?> m, String pre, ConfigKey k) throws ConfigException {
        Object v = m.get(k.key());
        if (v == null) return k.defaultLong();
        String path = pre + k.key();
        long n;
        if (v instanceof Integer || v instanceof Long) n = ((Number) v).longValue();
        else if (v instanceof BigInteger b) n = b.bitLength() < 63 ? b.longValue() : (b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE);
        else throw err(path, "expected a whole number, found " + describe(v),
                    "write e.g. " + k.key() + ": " + k.defaultText() + " (no quotes, no unit)");
        if (n < k.min() || n > k.max())
            throw err(path, (v instanceof BigInteger b ? b.toString() : Long.toString(n)) + " is out of range "
                    + k.min() + ".." + k.max(), rangeFix(k));
        return n;
    }

    private static String rangeFix(ConfigKey k) {
        if (k == ConfigKey.RESOLVE_INTERVAL)
            return "use 0 (look names up only at start) or " + ConfigKey.Limits.MIN_RESOLVE_SECONDS + ".." + k.max()
                    + " seconds; the default is " + k.defaultText();
        if (k.kind() == ConfigKey.Kind.SECONDS)
            return "use a positive number of seconds (" + k.min() + ".." + k.max() + "); the default is " + k.defaultText();
        return "use " + k.min() + ".." + k.max() + " (" + k.doc() + "); the default is " + k.defaultText();
    }

    private Duration seconds(Map<?, ?> m, String pre, ConfigKey k) throws ConfigException {
        return Duration.ofSeconds(integer(m, pre, k));
    }

    private boolean bool(Map<?, ?> m, String pre, ConfigKey k) throws ConfigException {
        Object v = m.get(k.key());
        if (v == null) return k.defaultBoolean();
        if (v instanceof Boolean b) return b;
        String key = k.key();
        throw err(pre + key, "expected true or false, found " + describe(v), "write " + key + ": true or " + key + ": false (no quotes)");
    }

    private void unknownKeys(String pre, Map<?, ?> m, ConfigKey.Section section) {
        List<String> known = ConfigKey.in(section).stream().map(ConfigKey::key).toList();
        for (Object k : m.keySet()) {
            String ks = String.valueOf(k);
            if (known.contains(ks)) continue;
            String near = known.stream().filter(c -> distance(c, ks) <= 2).findFirst()
                    .map(c -> "did you mean " + c + "?").orElse("known keys: " + String.join(", ", known));
            warnings.add(ConfigException.format(file, pre + ks, "unknown key, ignored", near));
        }
    }

    // ---------------------------------------------------------------- helpers

    private ConfigException err(String path, String problem, String fix) {
        return new ConfigException(file, path, problem, fix);
    }

    static String describe(Object v) {
        if (v == null) return "nothing";
        if (v instanceof String s) return "text " + quote(s);
        if (v instanceof Boolean b) return "boolean " + b;
        if (v instanceof Number n) return "number " + n;
        if (v instanceof Map<?, ?>) return "a mapping";
        if (v instanceof List<?>) return "a list";
        if (v instanceof byte[]) return "binary data";
        if (v instanceof java.util.Date) return "a date";
        return "a " + v.getClass().getSimpleName();
    }

    private static String quote(String s) {
        String t = s.length() > 60 ? s.substring(0, 57) + "..." : s;
        return "\"" + t.replace("\n", "\\n").replace("\r", "\\r") + "\"";
    }

    /** Levenshtein distance, for "did you mean" on unknown keys. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
