package io.gometro.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    @TempDir Path dir;

    static final String OK_INSTANCE = "instances:\n  - interface: eth0\n    ips: [192.0.2.10]\n";

    Path write(String yaml) throws IOException {
        Path f = dir.resolve("go-metro.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    GoMetroConfig load(String yaml) throws Exception {
        return ConfigLoader.load(write(yaml));
    }

    ConfigException fail(String yaml) throws IOException {
        Path f = write(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertOneLine(e);
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        return e;
    }

    static void assertOneLine(Exception e) {
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), "multi-line: " + e.getMessage());
    }

    // ------------------------------------------------------------------ the table

    static Stream<Arguments> badConfigs() {
        String i = OK_INSTANCE;
        return Stream.of(
                Arguments.of("init_config:\n  snaplen: abc\n" + i, "init_config.snaplen", "expected a whole number, found text \"abc\""),
                Arguments.of("init_config:\n  snaplen: 50\n" + i, "init_config.snaplen", "50 is out of range 104..65535"),
                Arguments.of("init_config:\n  snaplen: 70000\n" + i, "init_config.snaplen", "out of range 104..65535"),
                Arguments.of("init_config:\n  snaplen: 99999999999999999999999\n" + i, "init_config.snaplen", "out of range"),
                Arguments.of("init_config:\n  idle_ttl: 0\n" + i, "init_config.idle_ttl", "0 is out of range 1.."),
                Arguments.of("init_config:\n  exp_ttl: -5\n" + i, "init_config.exp_ttl", "-5 is out of range"),
                Arguments.of("init_config:\n  expired_ttl: 0\n" + i, "init_config.expired_ttl", "positive number of seconds"),
                Arguments.of("init_config:\n  exp_ttl: 60\n  expired_ttl: 30\n" + i, "init_config.expired_ttl", "conflicts with exp_ttl"),
                Arguments.of("init_config:\n  statsd_port: 0\n" + i, "init_config.statsd_port", "out of range 1..65535"),
                Arguments.of("init_config:\n  statsd_port: 65536\n" + i, "init_config.statsd_port", "out of range 1..65535"),
                Arguments.of("init_config:\n  statsd_port: \"8125\"\n" + i, "init_config.statsd_port", "found text \"8125\""),
                Arguments.of("init_config:\n  statsd_ip: \"not an ip!\"\n" + i, "init_config.statsd_ip", "neither an IP address nor a host name"),
                Arguments.of("init_config:\n  statsd_ip: 10\n" + i, "init_config.statsd_ip", "found number 10"),
                Arguments.of("init_config:\n  log_level: verbose\n" + i, "init_config.log_level", "\"verbose\" is not a log level"),
                Arguments.of("init_config:\n  log_level: off\n" + i, "init_config.log_level", "found boolean false"),
                Arguments.of("init_config:\n  log_to_file: \"yes please\"\n" + i, "init_config.log_to_file", "expected true or false"),
                Arguments.of("init_config:\n  flush_interval: 1.5\n" + i, "init_config.flush_interval", "found number 1.5"),
                Arguments.of("init_config:\n  max_flows: 0\n" + i, "init_config.max_flows", "out of range"),
                Arguments.of("init_config:\n  max_pending: 100000\n" + i, "init_config.max_pending", "out of range"),
                Arguments.of("init_config:\n  buffer_size: 1024\n" + i, "init_config.buffer_size", "out of range 65536.."),
                Arguments.of("init_config:\n  read_timeout_ms: 0\n" + i, "init_config.read_timeout_ms", "out of range 1..10000"),
                Arguments.of("init_config:\n  resolve_interval: 5\n" + i, "init_config.resolve_interval", "5 s is too often"),
                Arguments.of("init_config:\n  resolve_interval: -1\n" + i, "init_config.resolve_interval", "out of range 0..86400"),
                Arguments.of("init_config: [1, 2]\n" + i, "init_config", "expected a mapping, found a list"),
                Arguments.of("init_config:\n", "instances", "missing"),
                Arguments.of("instances: []\n", "instances", "the list is empty"),
                Arguments.of("instances: eth0\n", "instances", "expected a list of instances, found text \"eth0\""),
                Arguments.of("instances:\n  - eth0\n", "instances[0]", "expected a mapping with interface:"),
                Arguments.of("instances:\n  - tags: [a]\n    ips: [192.0.2.1]\n", "instances[0].interface", "missing"),
                Arguments.of("instances:\n  - interface: \"\"\n", "instances[0].interface", "is empty"),
                Arguments.of("instances:\n  - interface: \"eth 0\"\n", "instances[0].interface", "contains white space"),
                Arguments.of("instances:\n  - interface: 0\n", "instances[0].interface", "found number 0"),
                Arguments.of("instances:\n  - interface: file\n    ips: [192.0.2.1]\n", "instances[0].pcap", "missing"),
                Arguments.of("instances:\n  - interface: file\n    pcap: [a]\n", "instances[0].pcap", "expected a file path"),
                Arguments.of("instances:\n  - interface: eth0\n    ips: 1.2.3.4\n", "instances[0].ips", "expected a list, found text \"1.2.3.4\""),
                Arguments.of("instances:\n  - interface: eth0\n    ips: [1.2.3.4, 1.2.3.999]\n", "instances[0].ips[1]", "\"1.2.3.999\" is not an IP address"),
                Arguments.of("instances:\n  - interface: eth0\n  - interface: eth1\n    ips: [\"10.1\"]\n", "instances[1].ips[0]", "\"10.1\" is not an IP address"),
                Arguments.of("instances:\n  - interface: eth0\n    ips: [example.com]\n", "instances[0].ips[0]", "put names under hosts:"),
                Arguments.of("instances:\n  - interface: eth0\n    ips: [12345]\n", "instances[0].ips[0]", "expected an IP address, found number 12345"),
                Arguments.of("instances:\n  - interface: eth0\n    ips: [\"2001:db8::zz\"]\n", "instances[0].ips[0]", "is not an IP address"),
                Arguments.of("instances:\n  - interface: eth0\n    tags: {a: b}\n", "instances[0].tags", "expected a list, found a mapping"),
                Arguments.of("instances:\n  - interface: eth0\n    tags: [a: b]\n", "instances[0].tags[0]", "found a mapping"),
                Arguments.of("instances:\n  - interface: eth0\n    tags: [true]\n", "instances[0].tags[0]", "found boolean true"),
                Arguments.of("instances:\n  - interface: eth0\n    hosts: [\"bad host!\"]\n", "instances[0].hosts[0]", "not a valid host name"),
                Arguments.of("instances:\n  - interface: eth0\n    hosts: app.example.com\n", "instances[0].hosts", "expected a list"),
                Arguments.of("instances:\n  - interface: eth0\n    sample: maybe\n", "instances[0].sample", "expected true or false"),
                Arguments.of("instances:\n  - interface: eth0\n    sample: true\n    sample_duration: 60\n    sample_interval: 30\n",
                        "instances[0].sample_duration", "must be shorter than sample_interval"),
                Arguments.of("instances:\n  - interface: eth0\n    sample: true\n    sample_duration: 0\n", "instances[0].sample_duration", "out of range"),
                Arguments.of("instances:\n  - interface: eth0\n    sample_interval: -1\n", "instances[0].sample_interval", "out of range"),
                Arguments.of("instances:\n  - interface: eth0\n    ips: [192.0.2.1]\n  - interface: eth0\n    ips: [192.0.2.2]\n",
                        "instances[1].interface", "already captured by instances[0]"),
                Arguments.of("instances:\n  - interface: file\n    pcap: /x/a.pcap\n  - interface: file\n    pcap: /x/../x/a.pcap\n",
                        "instances[1].pcap", "already replayed by instances[0]"),
                Arguments.of("config:\n  - interface: eth0\n" + i, "config", "both instances: and config: are present"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("badConfigs")
    void badConfigIsOneLineNamingKeyAndFix(String yaml, String keyPath, String phrase) throws Exception {
        ConfigException e = fail(yaml);
        assertEquals(keyPath, e.keyPath(), e.getMessage());
        assertTrue(e.getMessage().contains(": " + keyPath + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected <" + phrase + "> in " + e.getMessage());
        assertTrue(e.getMessage().contains("; "), "no fix in " + e.getMessage());
        assertFalse(e instanceof ConfigMissingException);
    }

    static Stream<Arguments> badYaml() {
        return Stream.of(
                Arguments.of("init_config:\n  snaplen: 512\n  snaplen: 600\n" + OK_INSTANCE, "duplicate key"),
                Arguments.of("instances:\n  - interface: eth0\n\tips: [1.2.3.4]\n", "invalid YAML"),
                Arguments.of("instances: [eth0\n", "invalid YAML"),
                Arguments.of("init_config: !!python/object:os.system {}\n" + OK_INSTANCE, "invalid YAML"),
                Arguments.of("---\n" + OK_INSTANCE + "---\n" + OK_INSTANCE, "invalid YAML"));
    }

    @ParameterizedTest
    @MethodSource("badYaml")
    void yamlErrorsNameTheLine(String yaml, String phrase) throws Exception {
        ConfigException e = fail(yaml);
        assertTrue(e.getMessage().contains(phrase), e.getMessage());
        assertTrue(e.keyPath().matches("line \\d+, column \\d+"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "# only a comment\n", "- a\n- b\n", "just text\n", "42\n"})
    void topLevelMustBeAMapping(String yaml) throws Exception {
        ConfigException e = fail(yaml);
        assertNull(e.keyPath());
        assertTrue(e.getMessage().contains("the file is empty") || e.getMessage().contains("not a mapping"), e.getMessage());
    }

    // ------------------------------------------------------------------ good configs

    @Test
    void defaultsMatchGoMetro() throws Exception {
        GoMetroConfig c = load(OK_INSTANCE);
        assertEquals(512, c.snaplen());
        assertEquals(Duration.ofSeconds(300), c.idleTtl());
        assertEquals(Duration.ofSeconds(60), c.expTtl());
        assertEquals("127.0.0.1", c.statsdHost());
        assertEquals(8125, c.statsdPort());
        assertTrue(c.logToFile());
        assertEquals(LogLevel.INFO, c.logLevel());
        assertEquals(Duration.ofSeconds(30), c.flushInterval());
        assertEquals(100_000, c.maxFlows());
        assertEquals(1024, c.maxPending());
        assertEquals(8 << 20, c.bufferSize());
        assertEquals(100, c.readTimeoutMs());
        assertEquals(Duration.ofSeconds(300), c.resolveInterval(), "ours: go-metro looked names up only at start");
        assertEquals(List.of(), c.warnings());
        InstanceConfig i = c.instances().getFirst();
        assertEquals("eth0", i.interfaceName());
        assertEquals(List.of(InetAddress.ofLiteral("192.0.2.10")), i.ips());
        assertFalse(i.sample());
        assertTrue(i.pcap().isEmpty());
        assertEquals("instances[0]", i.keyPath());
    }

    @Test
    void everyKeySet() throws Exception {
        GoMetroConfig c = load("""
                init_config:
                  snaplen: 104
                  idle_ttl: 120
                  exp_ttl: 10
                  statsd_ip: dogstatsd.local
                  statsd_port: 18125
                  log_to_file: false
                  log_level: DEBUG
                  flush_interval: 10
                  max_flows: 5000
                  max_pending: 64
                  buffer_size: 1048576
                  read_timeout_ms: 250
                  resolve_interval: 0
                instances:
                  - interface: eth0
                    tags: [env:prod, "team:net"]
                    ips:
                      - 45.33.125.153
                      - 2001:db8::10
                      - "::1"
                      - 45.33.125.153
                    hosts: [app.datadoghq.com, localhost]
                    sample: true
                    sample_duration: 5
                    sample_interval: 20
                  - interface: file
                    pcap: captures/x.pcap
                """);
        assertEquals(104, c.snaplen());
        assertEquals(Duration.ofSeconds(120), c.idleTtl());
        assertEquals(Duration.ofSeconds(10), c.expTtl());
        assertEquals("dogstatsd.local", c.statsdHost());
        assertEquals(18125, c.statsdPort());
        assertFalse(c.logToFile());
        assertEquals(LogLevel.DEBUG, c.logLevel());
        assertEquals(Duration.ofSeconds(10), c.flushInterval());
        assertEquals(5000, c.maxFlows());
        assertEquals(64, c.maxPending());
        assertEquals(1 << 20, c.bufferSize());
        assertEquals(250, c.readTimeoutMs());
        assertEquals(Duration.ZERO, c.resolveInterval());
        InstanceConfig a = c.instances().get(0);
        assertEquals(List.of("env:prod", "team:net"), a.tags());
        // duplicates removed, IPv6 both quoted and plain
        assertEquals(List.of(InetAddress.ofLiteral("45.33.125.153"), InetAddress.ofLiteral("2001:db8::10"),
                InetAddress.ofLiteral("::1")), a.ips());
        assertEquals(List.of("app.datadoghq.com", "localhost"), a.hosts());
        assertTrue(a.sample());
        assertEquals(Duration.ofSeconds(5), a.sampleDuration());
        assertEquals(Duration.ofSeconds(20), a.sampleInterval());
        InstanceConfig f = c.instances().get(1);
        assertTrue(f.isFile());
        // relative pcap is relative to the config file, not to whatever directory supervisord uses
        assertEquals(dir.resolve("captures/x.pcap"), f.pcap().orElseThrow());
        assertEquals(List.of(), c.warnings());
    }

    @Test
    void bothTtlSpellings() throws Exception {
        assertEquals(Duration.ofSeconds(42), load("init_config:\n  exp_ttl: 42\n" + OK_INSTANCE).expTtl());
        assertEquals(Duration.ofSeconds(43), load("init_config:\n  expired_ttl: 43\n" + OK_INSTANCE).expTtl());
        assertEquals(Duration.ofSeconds(44), load("init_config:\n  exp_ttl: 44\n  expired_ttl: 44\n" + OK_INSTANCE).expTtl());
    }

    @ParameterizedTest
    @ValueSource(strings = {"trace", "debug", "info", "warn", "warning", "err", "error", "crit", "critical",
            "TRACE", "Debug", "INFO", "WARN", "Warning", "ERR", "Error", "CRIT", "Critical"})
    void everyLogLevelSpelling(String spelling) throws Exception {
        LogLevel expected = switch (spelling.toLowerCase().substring(0, 3)) {
            case "tra" -> LogLevel.TRACE;
            case "deb" -> LogLevel.DEBUG;
            case "inf" -> LogLevel.INFO;
            case "war" -> LogLevel.WARNING;
            case "err" -> LogLevel.ERROR;
            default -> LogLevel.CRITICAL;
        };
        assertEquals(expected, load("init_config:\n  log_level: " + spelling + "\n" + OK_INSTANCE).logLevel());
    }

    @Test
    void unknownKeysAreWarningsNamingFileAndKey() throws Exception {
        GoMetroConfig c = load("init_config:\n  snaplenn: 600\n  color: blue\nextra: 1\n"
                + "instances:\n  - interface: eth0\n    ips: [192.0.2.1]\n    ip: [192.0.2.2]\n    pcap: /x.pcap\n    sample_duration: 5\n");
        List<String> w = c.warnings();
        Path f = dir.resolve("go-metro.yaml");
        assertTrue(w.contains(f + ": extra: unknown key, ignored; known keys: init_config, instances, config"), w.toString());
        assertTrue(w.contains(f + ": init_config.snaplenn: unknown key, ignored; did you mean snaplen?"), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.startsWith(f + ": init_config.color: unknown key")), w.toString());
        assertTrue(w.contains(f + ": instances[0].ip: unknown key, ignored; did you mean ips?"), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.startsWith(f + ": instances[0].pcap: ignored because interface is not file")), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.startsWith(f + ": instances[0].sample_duration: ignored because sample is not true")), w.toString());
        assertEquals(6, w.size(), w.toString());
        assertEquals(512, c.snaplen());
    }

    @Test
    void goMetrosOwnConfigKeyIsAcceptedWithoutAWarning() throws Exception {
        GoMetroConfig c = load("config:\n  - interface: eth1\n    ips: [192.0.2.1]\n");
        assertEquals("eth1", c.instances().getFirst().interfaceName());
        assertEquals(List.of(), c.warnings());
    }

    /**
     * go-metro's example file, as DataDog shipped it, in its shape: every init_config key it
     * wrote, config: rather than instances:, four-space indents and an unindented list. It must load
     * with no warning, since an operator moving from go-metro changes nothing.
     */
    @Test
    void aGoMetroExampleFileLoadsWithoutWarnings() throws Exception {
        GoMetroConfig c = load("""
                init_config:
                    snaplen: 512
                    idle_ttl: 300
                    exp_ttl: 60
                    statsd_ip: 127.0.0.1
                    statsd_port: 8125
                    log_to_file: true
                    log_level: info

                config:
                - interface: eth0
                  tags:
                    - role:web
                  ips:
                    - 192.0.2.1
                  hosts:
                    - app.example.com
                """);
        assertEquals(List.of(), c.warnings());
        assertEquals(List.of("role:web"), c.instances().getFirst().tags());
        assertEquals(Duration.ofSeconds(60), c.expTtl());
        assertTrue(c.statsdSet());
    }

    /** go-metro's code read expired_ttl, its example wrote exp_ttl; neither warns. */
    @Test
    void goMetrosCodeSpellingOfExpTtlLoadsWithoutWarnings() throws Exception {
        GoMetroConfig c = load("init_config:\n  expired_ttl: 45\nconfig:\n  - interface: eth0\n    ips: [192.0.2.1]\n");
        assertEquals(List.of(), c.warnings());
        assertEquals(Duration.ofSeconds(45), c.expTtl());
    }

    @Test
    void emptyWhitelistIsLeftToTheWhitelistStep() throws Exception {
        InstanceConfig i = load("instances:\n  - interface: eth0\n").instances().getFirst();
        assertTrue(i.ips().isEmpty() && i.hosts().isEmpty());
    }

    @Test
    void sameInterfaceFileWithDifferentPcapsIsFine() throws Exception {
        GoMetroConfig c = load("instances:\n  - interface: file\n    pcap: /a.pcap\n  - interface: file\n    pcap: /b.pcap\n");
        assertEquals(2, c.instances().size());
    }

    @Test
    void byteOrderMarkIsIgnored() throws Exception {
        assertEquals(1, load("\uFEFF" + OK_INSTANCE).instances().size());
    }

    // ------------------------------------------------------------------ hostile files

    @Test
    void billionLaughsIsRefusedQuickly() throws Exception {
        StringBuilder b = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            char p = (char) (c - 1);
            b.append(c).append(": &").append(c).append(" [");
            for (int k = 0; k < 9; k++) b.append(k == 0 ? "" : ",").append('*').append(p);
            b.append("]\n");
        }
        b.append(OK_INSTANCE);
        Path f = write(b.toString());
        // A bound, not a speed target: without the alias limit this would build 9^9 nodes.
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ConfigException.class, () -> ConfigLoader.load(f)));
        assertOneLine(e);
        assertTrue(e.getMessage().contains("refused YAML") && e.getMessage().contains("aliases"), e.getMessage());
    }

    @Test
    void deepNestingIsRefused() throws Exception {
        String deep = "x: " + "[".repeat(500) + "]".repeat(500) + "\n" + OK_INSTANCE;
        ConfigException e = fail(deep);
        assertTrue(e.getMessage().contains("refused YAML") || e.getMessage().contains("invalid YAML"), e.getMessage());
    }

    @Test
    void fiftyMegabyteFileIsRefusedBeforeParsing() throws Exception {
        Path f = dir.resolve("huge.yaml");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(50L << 20); // sparse: the size check must refuse it without reading
        }
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertOneLine(e);
        assertEquals(f + ": file is 52428800 bytes, over the 1048576-byte limit; "
                + "a go-metro configuration is a few hundred bytes: check that -cfg names the right file", e.getMessage());
    }

    @Test
    void justOverTheLimitIsRefused() throws Exception {
        Path f = write("# " + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\n" + OK_INSTANCE);
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage().contains("over the"));
    }

    @Test
    void directory() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertEquals(dir + ": is a directory, not a file; point -cfg at the go-metro.yaml file itself", e.getMessage());
    }

    @Test
    void deviceIsRefusedWithoutReading() {
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("/dev/zero"))));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void missingFileIsDistinct() {
        Path f = dir.resolve("nope.yaml");
        ConfigMissingException e = assertThrows(ConfigMissingException.class, () -> ConfigLoader.load(f));
        assertOneLine(e);
        assertTrue(e.getMessage().startsWith(f + ": configuration file not found; "), e.getMessage());
        // a path through a regular file ("not a directory") is missing too
        assertThrows(ConfigMissingException.class, () -> ConfigLoader.load(write(OK_INSTANCE).resolve("x")));
    }

    @Test
    void notUtf8() throws Exception {
        Path f = dir.resolve("latin1.yaml");
        Files.write(f, "instances:\n  - interface: eth0\n    tags: [caf\u00e9]\n".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertTrue(e.getMessage().contains("is not UTF-8 text"), e.getMessage());
    }

    @Test
    void shippedExampleLoadsCleanly() throws Exception {
        GoMetroConfig c = ConfigLoader.load(Path.of("conf.d/go-metro.yaml.example"));
        assertEquals(List.of(), c.warnings());
        assertEquals(512, c.snaplen());
        InstanceConfig i = c.instances().getFirst();
        assertEquals("eth0", i.interfaceName());
        assertEquals(List.of("env:prod"), i.tags());
        assertEquals(List.of(InetAddress.ofLiteral("192.0.2.10")), i.ips());
        assertEquals(List.of("app.example.com"), i.hosts());
        assertFalse(c.statsdSet(), "the example leaves DogStatsD to DD_DOGSTATSD_URL / DD_AGENT_HOST / the default");
    }

    @Test
    void exampleWithEveryCommentedKeyEnabledLoadsCleanly() throws Exception {
        // uncomment the "# key: value" lines of the example: documented keys must all be known
        String text = Files.readString(Path.of("conf.d/go-metro.yaml.example"))
                .replaceAll("(?m)^  # (" + keys(ConfigKey.Section.INIT) + "):", "  $1:")
                .replaceAll("(?m)^    # (" + keys(ConfigKey.Section.INSTANCE) + "):", "    $1:");
        GoMetroConfig c = load(text);
        assertEquals(List.of(), c.warnings());
        assertTrue(c.instances().getFirst().sample());
        assertEquals(Duration.ofSeconds(10), c.instances().getFirst().sampleDuration());
        assertEquals(8388608, c.bufferSize());
        assertEquals(Duration.ofSeconds(300), c.resolveInterval());
        assertEquals(Path.of("/var/lib/go-metro/status.json"), c.statusFile());
        assertTrue(c.statsdSet());
        assertEquals("127.0.0.1", c.statsdHost());
        assertFalse(c.percentiles(), "the example spells the default");
    }

    private static String keys(ConfigKey.Section s) {
        return String.join("|", ConfigKey.in(s).stream().map(ConfigKey::key).toList());
    }
}
