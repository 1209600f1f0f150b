package io.gometro.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/** Finds the project, compiles the lab's C programs on demand, and says whether this machine can run the lab. */
public final class LabTools {
    /**
     * Socket buffers for the bulk transfers whose figures tests judge: 128 KiB (the kernel doubles
     * it) caps what is in flight at ~8 MB/s over 30 ms. Unbounded, a bulk sender on two cores
     * outruns the user-space delay bridge, whose queue then adds 2-5 ms that even tshark and the
     * kernel disagree on; the bound keeps the path's delay what the bridge is set to.
     */
    public static final int BULK_SOCKBUF = 128 * 1024;

    private LabTools() {}

    public static Path projectDir() {
        String base = System.getProperty("basedir");
        return Path.of(base != null ? base : System.getProperty("user.dir")).toAbsolutePath();
    }

    public static Path targetDir() {
        return projectDir().resolve("target");
    }

    /** The lab needs root (namespaces, AF_PACKET) plus ip and gcc; tests skip, not fail, without them. */
    public static boolean canRunLab() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
            boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
            return root && ip && Files.isExecutable(Path.of("/usr/bin/gcc"));
        } catch (IOException e) {
            return false;
        }
    }

    /** scripts/lab/NAME.c compiled to target/lab-bin/NAME, rebuilt when the source is newer. */
    public static synchronized Path binary(String name) {
        Path src = projectDir().resolve("scripts/lab/" + name + ".c");
        Path bin = targetDir().resolve("lab-bin/" + name);
        try {
            if (!Files.exists(src)) throw new IllegalStateException("lab source missing: " + src);
            if (Files.isExecutable(bin) && Files.getLastModifiedTime(bin).compareTo(Files.getLastModifiedTime(src)) >= 0) {
                return bin;
            }
            Files.createDirectories(bin.getParent());
            // Compile beside it and rename, so a parallel run never executes a half-written file.
            Path tmp = bin.resolveSibling(name + ".tmp" + ProcessHandle.current().pid());
            Cmd.run(Duration.ofSeconds(60), "gcc", "-O2", "-Wall", "-o", tmp.toString(), src.toString()).requireSuccess();
            Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return bin;
        } catch (IOException e) {
            throw new IllegalStateException("cannot build " + src + " into " + bin + ": " + e.getMessage(), e);
        }
    }
    /**
     * A figure of a path through the delay bridge: the bridge only adds delay, so nothing is below
     * its configured RTT (1% of slack for the capture's clock); and on a busy 2-core machine the
     * user-space bridge adds queueing that the kernel's own srtt of the connection sees too, so the
     * bound above is the larger of the two (pass the kernel's median or end-of-run srtt, whichever
     * is higher: {@code TcpLoad.Side.highRttMs()}), plus 5%.
     */
    public static void assertPathRtt(double configuredMs, double kernelMs, double actual, String what) {
        double high = Math.max(configuredMs, kernelMs) * 1.05;
        org.junit.jupiter.api.Assertions.assertTrue(actual >= configuredMs * 0.99 && actual <= high, what + ": expected " + configuredMs * 0.99
                + ".." + high + " ms (bridge " + configuredMs + " ms, kernel srtt " + kernelMs + " ms), got " + actual);
    }

}
