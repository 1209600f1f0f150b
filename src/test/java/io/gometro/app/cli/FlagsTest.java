package io.gometro.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class FlagsTest {
    @Test
    void defaults() throws Exception {
        Flags f = Flags.parse();
        assertEquals(Path.of("/etc/dd-agent/conf.d/go-metro.yaml"), f.cfg());
        assertEquals(Path.of("/var/log/datadog/go-metro.log"), f.log());
        assertEquals("tcp", f.filter());
        assertTrue(f.soften());
        assertFalse(f.version());
        assertFalse(f.analysis());
        assertTrue(f.pcap().isEmpty());
        assertEquals(List.of(), f.local());
        assertFalse(f.json());
    }

    @Test
    void supervisordCommandLine() throws Exception {
        // what Agent v5's supervisord runs (the shell quotes are gone by the time we see it)
        assertEquals(Path.of("/etc/dd-agent/conf.d/go-metro.yaml"), Flags.parse("-cfg=/etc/dd-agent/conf.d/go-metro.yaml").cfg());
    }

    static Stream<Arguments> spellings() {
        return Stream.of(
                Arguments.of(new String[] {"-cfg=/a.yaml"}, "/a.yaml"),
                Arguments.of(new String[] {"-cfg", "/b.yaml"}, "/b.yaml"),
                Arguments.of(new String[] {"--cfg=/c.yaml"}, "/c.yaml"),
                Arguments.of(new String[] {"--cfg", "/d.yaml"}, "/d.yaml"),
                Arguments.of(new String[] {"-cfg=/x.yaml", "-cfg=/last.yaml"}, "/last.yaml"),
                Arguments.of(new String[] {"-cfg=a=b.yaml"}, "a=b.yaml"),
                Arguments.of(new String[] {"-cfg", "-weird-name.yaml"}, "-weird-name.yaml"));
    }

    @ParameterizedTest
    @MethodSource("spellings")
    void valueSpellings(String[] args, String cfg) throws Exception {
        assertEquals(Path.of(cfg), Flags.parse(args).cfg());
    }

    @Test
    void booleans() throws Exception {
        assertTrue(Flags.parse("-st").soften());
        assertFalse(Flags.parse("-st=false").soften());
        assertFalse(Flags.parse("--st=0").soften());
        assertFalse(Flags.parse("-st=F").soften());
        assertTrue(Flags.parse("-st=false", "-st=TRUE").soften());
        assertTrue(Flags.parse("-version").version());
        assertTrue(Flags.parse("-pcap=x.pcap", "-json").json());
    }

    @Test
    void everything() throws Exception {
        Flags f = Flags.parse("-log", "/tmp/g.log", "-f=tcp port 443", "-st=false", "-pcap", "t.pcap",
                "-local=10.42.31.222,2001:db8::5", "-json");
        assertEquals(Path.of("/tmp/g.log"), f.log());
        assertEquals("tcp port 443", f.filter());
        assertFalse(f.soften());
        assertTrue(f.analysis());
        assertEquals(Path.of("t.pcap"), f.pcap().orElseThrow());
        assertEquals(List.of(InetAddress.ofLiteral("10.42.31.222"), InetAddress.ofLiteral("2001:db8::5")), f.local());
        assertTrue(f.json());
    }

    @Test
    void reportGoesToDogStatsdUnlessToldOtherwise() throws Exception {
        Flags d = Flags.parse("-cfg=/x");
        assertTrue(d.reportStatsd());
        assertFalse(d.reportConsole());
        Flags c = Flags.parse("-report=console", "-json");
        assertFalse(c.reportStatsd());
        assertTrue(c.reportConsole());
        assertTrue(c.json());
        Flags both = Flags.parse("-report", "statsd, console");
        assertTrue(both.reportStatsd() && both.reportConsole());
        assertTrue(Flags.parse("-report=console", "-report=statsd").reportStatsd(), "the last one counts");
        assertFalse(Flags.parse("-report=console", "-report=statsd").reportConsole(), "the last one counts");
    }

    @Test
    void terminatorEndsFlags() throws Exception {
        assertEquals(Path.of("/a"), Flags.parse("-cfg=/a", "--").cfg());
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of(new String[] {"-nope"}, "flag provided but not defined: -nope"),
                Arguments.of(new String[] {"--config=/x"}, "flag provided but not defined: -config"),
                Arguments.of(new String[] {"-cfg"}, "flag needs an argument: -cfg"),
                Arguments.of(new String[] {"-st=maybe"}, "invalid boolean value \"maybe\" for -st"),
                Arguments.of(new String[] {"-st", "false"}, "unexpected argument \"false\"; boolean flags take their value with '=', e.g. -st=false"),
                Arguments.of(new String[] {"stray"}, "unexpected argument \"stray\""),
                Arguments.of(new String[] {"---cfg=x"}, "bad flag syntax: ---cfg=x"),
                Arguments.of(new String[] {"-=x"}, "bad flag syntax: -=x"),
                Arguments.of(new String[] {"-cfg="}, "invalid value \"\" for flag -cfg: the path is empty"),
                Arguments.of(new String[] {"-f="}, "invalid value \"\" for flag -f"),
                Arguments.of(new String[] {"-pcap=x", "-local=10.0.0.1,nope"}, "invalid value \"nope\" for flag -local: not an IP address"),
                Arguments.of(new String[] {"-local=10.0.0.1"}, "-local applies only to analysis mode; add -pcap=FILE"),
                Arguments.of(new String[] {"-json"}, "-json applies only to analysis mode (-pcap=FILE), to -status and to -report=console"),
                Arguments.of(new String[] {"-status", "-pcap=x.pcap"}, "-status and -pcap do not go together"),
                Arguments.of(new String[] {"-report=dogstatsd"}, "invalid value \"dogstatsd\" for flag -report: use statsd, console, or statsd,console"),
                Arguments.of(new String[] {"-report="}, "invalid value \"\" for flag -report"),
                Arguments.of(new String[] {"-report=statsd", "-json"}, "-json applies only to analysis mode"),
                Arguments.of(new String[] {"-pcap=x.pcap", "-report=console"}, "-report applies only to the daemon: -pcap prints its own output"),
                Arguments.of(new String[] {"-status", "-report=console"}, "-report applies only to the daemon: -status prints its own output"));
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void mistakesExitTwoWithOneLineAndUsage(String[] args, String phrase) {
        FlagException e = assertThrows(FlagException.class, () -> Flags.parse(args));
        assertEquals(2, e.exitCode());
        assertFalse(e.isHelp());
        assertTrue(e.getMessage().startsWith(phrase), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        String printed = print(e);
        assertTrue(printed.startsWith(e.getMessage() + "\nUsage of go-metro:\n"), printed);
    }

    @Test
    void helpExitsZeroWithUsage() {
        for (String h : new String[] {"-h", "-help", "--help", "--h"}) {
            FlagException e = assertThrows(FlagException.class, () -> Flags.parse("-cfg=/x", h));
            assertEquals(0, e.exitCode(), h);
            assertTrue(e.isHelp());
            String printed = print(e);
            assertTrue(printed.startsWith("Usage of go-metro:\n"), printed);
            for (String flag : List.of("-cfg", "-log", "-f", "-st", "-pcap", "-local", "-report", "-json", "-version", "-h"))
                assertTrue(printed.contains("  " + flag), flag);
        }
    }

    private static String print(FlagException e) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        e.print(new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }
}
