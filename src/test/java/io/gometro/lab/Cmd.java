package io.gometro.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** External commands for the lab: every one has a timeout, output goes to files (no pipe can fill and block). */
public final class Cmd {
    private Cmd() {}

    /** What a finished command left behind. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result requireSuccess() {
            if (exitCode != 0) {
                throw new IllegalStateException("command failed (exit " + exitCode + "): " + String.join(" ", command)
                        + "\nstdout: " + stdout.strip() + "\nstderr: " + stderr.strip());
            }
            return this;
        }
    }

    /** Runs to completion or kills it after {@code timeout}; a timeout is an exception naming the command. */
    public static Result run(Duration timeout, List<String> command) {
        Path out = null, err = null;
        try {
            out = Files.createTempFile("gml-cmd", ".out");
            err = Files.createTempFile("gml-cmd", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("command timed out after " + timeout + ": " + String.join(" ", command));
            }
            return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        } finally {
            try {
                if (out != null) Files.deleteIfExists(out);
                if (err != null) Files.deleteIfExists(err);
            } catch (IOException ignored) {
                // temp files only
            }
        }
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /** Waits until {@code file} contains {@code marker} or the process dies or time runs out. */
    public static void awaitOutput(Process p, Path file, String marker, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (Files.exists(file) && Files.readString(file).contains(marker)) return;
                if (!p.isAlive()) {
                    throw new IllegalStateException(what + " exited (" + p.exitValue() + ") before printing '" + marker
                            + "': " + (Files.exists(file) ? Files.readString(file).strip() : ""));
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + what, e);
        }
        throw new IllegalStateException(what + " did not print '" + marker + "' within " + timeout + " (see " + file + ")");
    }

    /** SIGTERM, then SIGKILL if it lingers. */
    public static void stop(Process p, Duration grace) {
        if (!p.isAlive()) return;
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }
}
