package io.gometro.app.logging;

import io.gometro.config.LogLevel;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class LogSetupTest {
    private static final Logger LOG = LogManager.getLogger(LogSetupTest.class);
    private static final Pattern LINE = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) UTC \\| ([A-Z]+) \\| go-metro \\| \\(([^:]+):(\\d+)\\) \\| (.*)");
    @TempDir Path dir;

    @AfterEach
    void backToBoot() {
        Configurator.reconfigure(LogSetup.bootConfiguration()); // other tests must not write into a deleted temp dir
    }

    @AfterAll
    static void done() {
        Configurator.reconfigure(LogSetup.bootConfiguration());
    }

    static List<String> lines(Path f) throws Exception {
        return Files.readAllLines(f, StandardCharsets.UTF_8);
    }

    @Test
    void agentV5FormatInUtcWithCallerFileAndLine() throws Exception {
        TimeZone saved = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati")); // UTC+14: a local time would be far off
        try {
            Path f = dir.resolve("go-metro.log");
            LogSetup.Outcome o = LogSetup.configure(LogLevel.INFO, true, f);
            assertEquals(f, o.file());
            assertFalse(o.toStdout());
            int line = new Throwable().getStackTrace()[0].getLineNumber() + 1;
            LOG.info("listening on {}", "eth0");
            Instant now = Instant.now();
            List<String> l = lines(f);
            assertEquals(1, l.size(), l.toString());
            Matcher m = LINE.matcher(l.getFirst());
            assertTrue(m.matches(), l.getFirst());
            assertEquals("INFO", m.group(2));
            assertEquals("LogSetupTest.java", m.group(3));
            assertEquals(line, Integer.parseInt(m.group(4)));
            assertEquals("listening on eth0", m.group(5));
            Instant logged = LocalDateTime.parse(m.group(1), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")).toInstant(ZoneOffset.UTC);
            assertTrue(Duration.between(logged, now).abs().getSeconds() <= 5, logged + " vs " + now);
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void newFileIsCreated0640() throws Exception {
        Path f = dir.resolve("new.log");
        LogSetup.configure(LogLevel.INFO, true, f);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void existingFileIsAppendedToAndKeepsItsMode() throws Exception {
        Path f = dir.resolve("old.log");
        Files.writeString(f, "line from before the restart\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        LogSetup.configure(LogLevel.INFO, true, f);
        LOG.warn("after restart");
        List<String> l = lines(f);
        assertEquals("line from before the restart", l.get(0));
        assertTrue(l.get(1).endsWith("| after restart"), l.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void truncationByLogrotateCopytruncateLeavesNoHole() throws Exception {
        Path f = dir.resolve("rot.log");
        LogSetup.configure(LogLevel.INFO, true, f);
        LOG.info("x".repeat(1000));
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0); // what copytruncate does
        }
        LOG.info("after truncate");
        byte[] b = Files.readAllBytes(f);
        // without O_APPEND the next write would land at offset ~1000 behind a run of NUL bytes
        assertNotEquals(0, b[0]);
        assertTrue(new String(b, StandardCharsets.UTF_8).endsWith("| after truncate\n"));
    }

    @Test
    void levelNamesAsAgentV5PrintsThem() throws Exception {
        Path f = dir.resolve("levels.log");
        LogSetup.configure(LogLevel.TRACE, true, f);
        LOG.trace("t");
        LOG.debug("d");
        LOG.info("i");
        LOG.warn("w");
        LOG.error("e");
        LOG.fatal("f");
        List<String> names = lines(f).stream().map(s -> { Matcher m = LINE.matcher(s); assertTrue(m.matches(), s); return m.group(2); }).toList();
        assertEquals(List.of("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), names);
    }

    @ParameterizedTest
    @EnumSource(LogLevel.class)
    void thresholdFollowsTheConfiguredLevel(LogLevel level) throws Exception {
        Path f = dir.resolve("t.log");
        LogSetup.configure(level, true, f);
        Level[] all = {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR, Level.FATAL};
        for (Level l : all) LOG.log(l, "at " + l);
        Level min = LogSetup.toLog4j(level);
        long expected = java.util.Arrays.stream(all).filter(l -> l.isMoreSpecificThan(min)).count();
        assertEquals(expected, lines(f).size(), lines(f).toString());
        assertTrue(lines(f).getFirst().endsWith("| at " + min), lines(f).toString());
    }

    @Test
    void critSpellingIsFatalPrintedAsCritical() {
        assertEquals(Level.FATAL, LogSetup.toLog4j(LogLevel.parse("crit").orElseThrow()));
        assertEquals(Level.WARN, LogSetup.toLog4j(LogLevel.parse("Warning").orElseThrow()));
        assertEquals(Level.ERROR, LogSetup.toLog4j(LogLevel.parse("ERR").orElseThrow()));
    }

    @Test
    void pcap4jInfoChatterIsHeldAtWarn() throws Exception {
        Path f = dir.resolve("pcap4j.log");
        LogSetup.configure(LogLevel.TRACE, true, f);
        org.slf4j.Logger p = org.slf4j.LoggerFactory.getLogger("org.pcap4j.core.PcapHandle");
        p.info("pcap4j info");
        p.debug("pcap4j debug");
        p.warn("pcap4j warn");
        LOG.debug("ours");
        List<String> l = lines(f);
        assertEquals(2, l.size(), l.toString());
        assertTrue(l.get(0).contains("| WARNING |") && l.get(0).endsWith("| pcap4j warn"), l.toString());
        assertTrue(l.get(0).contains("(LogSetupTest.java:"), "slf4j location must be the caller: " + l);
        assertTrue(l.get(1).endsWith("| ours"));
    }

    @Test
    void unopenableFileFallsBackToStdoutWithOneLineOnStderr() {
        for (Path bad : List.of(dir.resolve("no-such-dir/go-metro.log"), dir)) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            LogSetup.Outcome o = LogSetup.configure(LogLevel.INFO, true, bad, new PrintStream(err, true, StandardCharsets.UTF_8));
            assertTrue(o.toStdout());
            String s = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, s.lines().count(), s);
            assertTrue(s.startsWith("go-metro: cannot open log file " + bad + ": "), s);
            assertTrue(s.strip().endsWith("; logging to stdout instead"), s);
        }
    }

    @Test
    void logToFileFalseWritesStdout() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            LogSetup.Outcome o = LogSetup.configure(LogLevel.INFO, false, dir.resolve("unused.log"));
            assertTrue(o.toStdout());
            LOG.info("to stdout");
        } finally {
            System.setOut(saved);
        }
        assertTrue(LINE.matcher(out.toString(StandardCharsets.UTF_8).strip()).matches(), out.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(dir.resolve("unused.log")));
    }

    @Test
    void bootLoggerWritesOneLinePerErrorToStderr() {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Configurator.reconfigure(LogSetup.bootConfiguration());
            LOG.error("cannot parse config", new IllegalStateException("bad\nthing"));
            LOG.debug("not shown before the config is read");
        } finally {
            System.setErr(saved);
        }
        String s = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, s.lines().count(), s);
        Matcher m = LINE.matcher(s.strip());
        assertTrue(m.matches(), s);
        assertEquals("ERROR", m.group(2));
        assertEquals("cannot parse config (bad\\nthing)", m.group(5));
    }
}
