package io.gometro.app.commands;

import io.gometro.app.cli.Flags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code go-metro -status}'s verdicts on status files written here by hand: the process that "wrote"
 * them is this test's own JVM (same pid, same start time), so "alive" is real, and the write time is
 * set to make the status fresh or stale. DaemonAgent7IT and SystemdInstallIT read a real daemon's file.
 */
class StatusCommandTest {
    @TempDir Path dir;

    record Out(int code, String text) {}

    Out run(String... extra) throws Exception {
        Path cfg = dir.resolve("go-metro.yaml");
        Files.writeString(cfg, "init_config:\n  status_file: " + dir.resolve("status.json")
                + "\ninstances:\n  - interface: lo\n    ips: [192.0.2.10]\n");
        String[] args = new String[extra.length + 2];
        args[0] = "-status";
        args[1] = "-cfg=" + cfg;
        System.arraycopy(extra, 0, args, 2, extra.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = StatusCommand.run(Flags.parse(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Out(code, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    }

    void write(long pid, long started, boolean running, long writtenAgoMs, String... states) throws Exception {
        StringBuilder inst = new StringBuilder();
        for (int i = 0; i < states.length; i++) {
            inst.append(i == 0 ? "" : ",").append("{\"key\": \"instances[").append(i).append("]\", \"iface\": \"eth")
                    .append(i).append("\", \"state\": \"").append(states[i]).append("\", \"reason\": null, \"since_ms\": 1,"
                    + " \"packets\": 5, \"dropped\": 0, \"active_flows\": 1, \"last_flush_ms\": 0, \"pairs_reported\": 0,"
                    + " \"whitelist\": [], \"pairs\": []}");
        }
        Files.writeString(dir.resolve("status.json"), """
                {"format": 1, "version": "t", "pid": %d, "process_started_ms": %d, "running": %s,
                 "written_ms": %d, "flush_interval_s": 30, "config": "c", "dogstatsd": "d", "instances": [%s]}
                """.formatted(pid, started, running, System.currentTimeMillis() - writtenAgoMs, inst));
    }

    static long me() {
        return ProcessHandle.current().pid();
    }

    static long myStart() {
        return ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
    }

    @Test
    void everyInstanceCapturingIsZeroAndSomeIsOne() throws Exception {
        write(me(), myStart(), true, 1_000, "capturing", "capturing");
        Out o = run();
        assertEquals(0, o.code(), o.text());
        assertTrue(o.text().startsWith("go-metro t (pid " + me() + ") runs: 2 of 2 instances capturing"), o.text());
        write(me(), myStart(), true, 1_000, "capturing", "failed");
        assertEquals(1, run().code());
        write(me(), myStart(), true, 1_000);
        assertEquals(1, run().code(), "none capture");
    }

    @Test
    void noFileAStoppedDaemonAGoneProcessAndAStaleStatusAreThree() throws Exception {
        Out none = run();
        assertEquals(3, none.code());
        assertTrue(none.text().startsWith("go-metro is not running: no status file " + dir.resolve("status.json")), none.text());

        write(me(), myStart(), false, 1_000, "stopped");
        assertTrue(run().text().startsWith("go-metro is not running: pid " + me() + " stopped at "));
        assertEquals(3, run().code());

        write(me(), myStart() - 60_000, true, 1_000, "capturing");
        Out reused = run();
        assertEquals(3, reused.code(), "the pid now belongs to a process that started later: " + reused.text());
        assertTrue(reused.text().contains("is gone"), reused.text());

        // three flushes of 30 s, and a little more
        write(me(), myStart(), true, 91_000, "capturing");
        Out stale = run();
        assertEquals(3, stale.code(), stale.text());
        assertTrue(stale.text().contains("runs but its status is 91 s old, more than 3 flushes of 30 s"), stale.text());
        write(me(), myStart(), true, 89_000, "capturing");
        assertEquals(0, run().code(), "within three flushes it is fresh");
    }

    @Test
    void jsonPrintsTheFileAndTheVerdictGoesToStderr() throws Exception {
        write(me(), myStart(), true, 1_000, "capturing");
        Out o = run("-json");
        assertEquals(0, o.code());
        assertTrue(o.text().startsWith("{\"format\": 1"), o.text());
        assertTrue(o.text().contains("runs: 1 of 1 instances capturing"), o.text());
    }
}
