package io.gometro.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Three network namespaces a - m - b joined by veth pairs, with the delay bridge forwarding between them in m,
 * so a TCP connection a<->b has a known RTT (delay a->b + delay b->a). Private addresses only:
 * a = 10.X.Y.1/24 + fd00:X:Y::1/64, b = .2 / ::2.
 *
 * <p>Names are {@code gml-<jvm pid>-<hex>-a|m|b}: unique across parallel runs, and the pid lets
 * {@link #sweepStale()} tell a crashed run's leftovers from a live one's. close() always removes them.
 */
public final class NetLab implements AutoCloseable {
    public static final String PREFIX = "gml-";
    public static final String IF_A = "veth-a", IF_MA = "m-a", IF_MB = "m-b", IF_B = "veth-b";
    private static final Duration CMD = Duration.ofSeconds(10);
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final String name;
    private final int x, y;
    private final Path workDir;
    private final List<Process> processes = new ArrayList<>();
    private Process bridge;
    private Path bridgeOut;
    private final double delayAbMs, delayBaMs, jitterMs;
    private boolean closed;

    /** How the bridge should delay frames. */
    public record Config(double delayAbMs, double delayBaMs, double jitterMs, boolean reorder, int subnetX, int subnetY) {
        public static Config rtt(double rttMs) {
            return new Config(rttMs / 2, rttMs / 2, 0, false, -1, -1);
        }

        public Config jitter(double jitterMs, boolean reorder) {
            return new Config(delayAbMs, delayBaMs, jitterMs, reorder, subnetX, subnetY);
        }

        /** Fixed addresses 10.X.Y.0/24, fd00:X:Y::/64 (for recorded fixtures); default is random. */
        public Config subnet(int sx, int sy) {
            return new Config(delayAbMs, delayBaMs, jitterMs, reorder, sx, sy);
        }
    }

    public static NetLab start(Config cfg) {
        if (SWEPT.compareAndSet(false, true)) sweepStale();
        NetLab lab = new NetLab(cfg);
        try {
            lab.build(cfg);
            return lab;
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    private NetLab(Config cfg) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        this.name = PREFIX + ProcessHandle.current().pid() + "-" + Integer.toHexString(r.nextInt(0x10000, 0x100000));
        this.x = cfg.subnetX() >= 0 ? cfg.subnetX() : r.nextInt(100, 200);
        this.y = cfg.subnetY() >= 0 ? cfg.subnetY() : r.nextInt(1, 255);
        this.delayAbMs = cfg.delayAbMs();
        this.jitterMs = cfg.jitterMs();
        this.delayBaMs = cfg.delayBaMs();
        try {
            this.workDir = Files.createTempDirectory(name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp dir for the lab: " + e.getMessage(), e);
        }
    }

    public String nsA() { return name + "-a"; }
    public String nsM() { return name + "-m"; }
    public String nsB() { return name + "-b"; }
    public String ipv4A() { return "10." + x + "." + y + ".1"; }
    public String ipv4B() { return "10." + x + "." + y + ".2"; }
    public String ipv6A() { return "fd00:" + x + ":" + y + "::1"; }
    public String ipv6B() { return "fd00:" + x + ":" + y + "::2"; }
    public String addrA(boolean v6) { return v6 ? ipv6A() : ipv4A(); }
    public String addrB(boolean v6) { return v6 ? ipv6B() : ipv4B(); }
    public Path workDir() { return workDir; }
    /** The RTT the bridge imposes when no jitter is set, in ms. */
    public double rttMs() { return delayAbMs + delayBaMs; }
    /** The bridge's uniform jitter on each one-way delay, ms (0: none). */
    public double jitterMs() { return jitterMs; }

    private void build(Config cfg) {
        for (String ns : List.of(nsA(), nsM(), nsB())) {
            ip("netns", "add", ns);
            ip("-n", ns, "link", "set", "dev", "lo", "up");
        }
        // Created inside the namespaces, so the names never clash with another lab's.
        ip("-n", nsA(), "link", "add", IF_A, "type", "veth", "peer", "name", IF_MA, "netns", nsM());
        ip("-n", nsB(), "link", "add", IF_B, "type", "veth", "peer", "name", IF_MB, "netns", nsM());
        for (String[] nsIf : new String[][] {{nsA(), IF_A}, {nsM(), IF_MA}, {nsM(), IF_MB}, {nsB(), IF_B}}) {
            offloadsOff(nsIf[0], nsIf[1]);
            ip("-n", nsIf[0], "link", "set", "dev", nsIf[1], "up");
        }
        ip("-n", nsA(), "addr", "add", ipv4A() + "/24", "dev", IF_A);
        ip("-n", nsB(), "addr", "add", ipv4B() + "/24", "dev", IF_B);
        // nodad: usable at once instead of after ~1-2 s of duplicate address detection.
        ip("-n", nsA(), "addr", "add", ipv6A() + "/64", "dev", IF_A, "nodad");
        ip("-n", nsB(), "addr", "add", ipv6B() + "/64", "dev", IF_B, "nodad");

        List<String> cmd = new ArrayList<>(List.of(LabTools.binary("delay-bridge").toString(),
                "-1", IF_MA, "-2", IF_MB, "-d", Double.toString(cfg.delayAbMs()), "-D", Double.toString(cfg.delayBaMs())));
        if (cfg.jitterMs() > 0) cmd.addAll(List.of("-j", Double.toString(cfg.jitterMs())));
        if (cfg.reorder()) cmd.add("-r");
        bridgeOut = workDir.resolve("bridge.out");
        bridge = spawn(nsM(), bridgeOut, cmd);
        Cmd.awaitOutput(bridge, bridgeOut, "READY", Duration.ofSeconds(5), "delay-bridge");
    }

    /**
     * Frames must be MTU-sized and carry real checksums: the bridge copies them through AF_PACKET, which
     * cannot re-segment a GSO super-frame nor fill in a checksum left to (non-existent) hardware.
     */
    private void offloadsOff(String ns, String dev) {
        Cmd.run(CMD, "ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off")
                .requireSuccess();
    }

    private static void ip(String... args) {
        List<String> c = new ArrayList<>();
        c.add("ip");
        c.addAll(List.of(args));
        Cmd.run(CMD, c).requireSuccess();
    }

    /** Runs to completion inside {@code ns}. */
    public Cmd.Result exec(String ns, Duration timeout, List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(command);
        return Cmd.run(timeout, c);
    }

    /** Starts in the background inside {@code ns}, stdout+stderr to {@code out}; killed by close() at the latest. */
    public synchronized Process spawn(String ns, Path out, List<String> command) {
        // `ip netns exec` execs the program itself, so the Process is the program: signals reach it.
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(command);
        try {
            Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", c) + ": " + e.getMessage(), e);
        }
    }

    /** Stops the bridge (SIGTERM) and returns its exit report: the COUNTERS lines. */
    public String stopBridge() {
        if (bridge == null) return "";
        Cmd.stop(bridge, Duration.ofSeconds(3));
        try {
            return Files.readString(bridgeOut);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (Process p : processes) Cmd.stop(p, Duration.ofSeconds(3));
        for (String ns : List.of(nsA(), nsM(), nsB())) removeNamespace(ns);
        try (var files = Files.walk(workDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }

    /** Where `ip netns exec NS` finds the files it bind-mounts over /etc (hosts, resolv.conf). */
    static Path netnsEtc(String ns) {
        return Path.of("/etc/netns", ns);
    }

    /**
     * Sets what /etc/hosts says to programs run in {@code ns} (through {@link #spawn}/{@link #exec}):
     * `ip netns exec` bind-mounts /etc/netns/NS/hosts over it. Later calls rewrite the file in place,
     * because the bind mount of a running program shows the first file's inode. Removed with the namespace.
     */
    public Path writeHosts(String ns, String text) {
        Path hosts = netnsEtc(ns).resolve("hosts");
        try {
            Files.createDirectories(hosts.getParent());
            return Files.writeString(hosts, text); // truncates: same inode
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + hosts + ": " + e.getMessage(), e);
        }
    }

    private static void removeNamespace(String ns) {
        removeNetnsEtc(ns);
        if (!listNamespaces().contains(ns)) return;
        // Anything still running inside (a stray tcpdump) would keep its veths alive: kill it first.
        Cmd.Result pids = Cmd.run(CMD, "ip", "netns", "pids", ns);
        for (String pid : pids.stdout().split("\\s+")) {
            if (!pid.isBlank()) Cmd.run(CMD, "kill", "-9", pid.strip());
        }
        Cmd.run(CMD, "ip", "netns", "del", ns);
    }

    public static List<String> listNamespaces() {
        List<String> names = new ArrayList<>();
        for (String line : Cmd.run(CMD, "ip", "netns", "list").stdout().split("\n")) {
            if (!line.isBlank()) names.add(line.strip().split("\\s+")[0]);
        }
        return names;
    }

    private static void removeNetnsEtc(String ns) {
        Path dir = netnsEtc(ns);
        if (!Files.isDirectory(dir)) return;
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes gml-* namespaces whose creating JVM is gone (a crashed or killed earlier run), and their /etc/netns files. */
    public static void sweepStale() {
        List<String> candidates = new ArrayList<>(listNamespaces());
        try (var dirs = Files.list(Path.of("/etc/netns"))) {
            dirs.map(d -> d.getFileName().toString()).filter(n -> !candidates.contains(n)).forEach(candidates::add);
        } catch (IOException e) {
            // no /etc/netns: nothing of ours there
        }
        for (String ns : candidates) {
            if (!ns.startsWith(PREFIX)) continue;
            String[] parts = ns.split("-");
            long pid;
            try {
                pid = Long.parseLong(parts[1]);
            } catch (RuntimeException e) {
                pid = -1; // not our naming: treat as stale
            }
            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
            removeNamespace(ns);
        }
    }

    /** Starts a lab for a test class, or skips the class where the lab cannot run (not root, tools missing). */
    public static NetLab startOrSkip(Config config) {
        org.junit.jupiter.api.Assumptions.assumeTrue(LabTools.canRunLab(), "the lab needs root, ip, ethtool and gcc");
        return start(config);
    }

    /** Closes the lab (null is fine) and asserts that no namespace of this JVM was left behind. */
    public static void closeAndCheck(NetLab lab) {
        if (lab != null) lab.close();
        checkNothingLeft();
    }

    /** Asserts that no namespace of this JVM is left behind (nothing to check where the lab cannot run). */
    public static void checkNothingLeft() {
        if (!LabTools.canRunLab()) return;
        String mine = PREFIX + ProcessHandle.current().pid() + "-";
        if (listNamespaces().stream().anyMatch(n -> n.startsWith(mine))) {
            throw new AssertionError("a lab namespace was left behind: " + listNamespaces());
        }
        try (var dirs = Files.list(Path.of("/etc/netns"))) {
            List<Path> left = dirs.filter(d -> d.getFileName().toString().startsWith(mine)).toList();
            if (!left.isEmpty()) throw new AssertionError("lab files were left behind: " + left);
        } catch (IOException e) {
            // no /etc/netns: nothing left there
        }
    }
}
