package io.gometro.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs real commands for the packaging ITs, bounded in time, output captured. */
final class Sh {
    static final Path BASEDIR = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath();
    static final Path TARGET = BASEDIR.resolve("target");

    record Result(int exit, String out) {
        Result ok(String what) {
            if (exit != 0) throw new AssertionError(what + " failed (exit " + exit + "):\n" + out);
            return this;
        }
    }

    static Result run(long timeoutSec, String... cmd) {
        try {
            Path log = Files.createTempFile("gm-pkg-", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(124, Files.readString(log) + "\n[timed out after " + timeoutSec + " s: " + String.join(" ", cmd) + "]");
                }
                return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Result sh(long timeoutSec, String script) {
        return run(timeoutSec, "/bin/sh", "-c", script);
    }

    /**
     * The built .deb with its version bumped ({@code +it1}), same payload: a dpkg-deb rebuild, for the
     * upgrade tests. Written as {@code out}.
     */
    static Path bumpedDeb(Path out) throws IOException {
        Path deb = onlyFile("go-metro_*_amd64.deb");
        Path x = out.resolveSibling(out.getFileName() + ".d");
        run(60, "rm", "-rf", x.toString());
        run(120, "dpkg-deb", "-R", deb.toString(), x.toString()).ok("dpkg-deb -R");
        Path control = x.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control).replaceFirst("(?m)^Version: (.*)$", "Version: $1+it1"));
        run(300, "dpkg-deb", "--root-owner-group", "-Zgzip", "-b", x.toString(), out.toString()).ok("dpkg-deb -b");
        run(30, "rm", "-rf", x.toString());
        return out;
    }

    static boolean isRoot() {
        return "0".equals(run(5, "id", "-u").out().trim());
    }

    static Path onlyFile(String glob) throws IOException {
        try (var s = Files.newDirectoryStream(TARGET, glob)) {
            List<Path> l = new java.util.ArrayList<>();
            s.forEach(l::add);
            if (l.size() != 1) throw new AssertionError("expected one " + glob + " in " + TARGET + " (run mvn package), found " + l);
            return l.get(0);
        }
    }
}
