package io.gometro.lab;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the analyzer: the packaged launcher target/go-metro/bin/go-metro when the package phase has built it,
 * else the same Main from target/classes on the test's dependency class path (what `mvn test` has).
 */
public final class GoMetroCommand {
    private GoMetroCommand() {}

    public static List<String> command(String... args) {
        Path launcher = LabTools.targetDir().resolve("go-metro/bin/go-metro");
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(launcher)) {
            cmd.add(launcher.toString());
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-cp");
            cmd.add(runtimeClassPath());
            cmd.add("io.gometro.app.Main");
        }
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** target/classes plus the dependency jars, without the test classes. */
    static String runtimeClassPath() {
        // Surefire/failsafe may hide the real path behind a manifest-only jar; they publish it here.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> parts = new ArrayList<>();
        parts.add(LabTools.targetDir().resolve("classes").toString());
        for (String e : cp.split(File.pathSeparator)) {
            if (e.endsWith(".jar") && !e.contains("surefire") && !e.contains("failsafe")) parts.add(e);
        }
        return String.join(File.pathSeparator, parts);
    }

    /** One flow line of -json output. */
    public record Flow(Map<String, String> fields) {
        public String src() { return fields.get("src"); }
        public String dst() { return fields.get("dst"); }
        public double num(String key) {
            String v = fields.get(key);
            if (v == null) throw new AssertionError("go-metro -json line has no \"" + key + "\": " + fields);
            return Double.parseDouble(v);
        }
        public long samples() { return (long) num("samples"); }
        /** Host part of src/dst "ip:port", "[v6]:port" or "v6:port". */
        public static String host(String endpoint) {
            if (endpoint.startsWith("[")) return endpoint.substring(1, endpoint.indexOf(']'));
            int i = endpoint.lastIndexOf(':');
            return i < 0 ? endpoint : endpoint.substring(0, i);
        }
        public static int port(String endpoint) {
            return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
        }
        @Override public String toString() { return fields.toString(); }
    }

    private static final Pattern KV = Pattern.compile("\"([A-Za-z0-9_]+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[-+0-9.eE]+|true|false|null)");

    /** Parses the flat JSON objects, one per line; other lines (logs) are ignored. */
    public static List<Flow> parseJsonLines(String out) {
        List<Flow> flows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String l = line.strip();
            if (!l.startsWith("{")) continue;
            Map<String, String> m = new HashMap<>();
            Matcher mt = KV.matcher(l);
            while (mt.find()) m.put(mt.group(1), mt.group(3) != null ? mt.group(3) : mt.group(2));
            flows.add(new Flow(m));
        }
        return flows;
    }

    /** go-metro -pcap=F -local=IP -json; returns the flows, failing with its output if it fails. */
    public static List<Flow> analyze(Path pcap, String localIp) {
        Cmd.Result r = Cmd.run(Duration.ofSeconds(120), command("-pcap=" + pcap, "-local=" + localIp, "-json"));
        if (r.exitCode() != 0) {
            throw new AssertionError("go-metro failed (exit " + r.exitCode() + ") on " + pcap + ": "
                    + String.join(" ", r.command()) + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr());
        }
        return parseJsonLines(r.stdout());
    }
}
