package io.gometro.app.peers;

import io.gometro.config.ConfigException;
import io.gometro.config.ConfigKey;
import io.gometro.config.InstanceConfig;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Uses the system resolver with names /etc/hosts answers (localhost, 127.0.0.1) and RFC 6761's
 * .invalid, which never resolves. The one stand-in resolver is a name service that never answers,
 * because a real hanging DNS server cannot be arranged inside a test.
 */
class WhitelistTest {
    static final Path CFG = Path.of("/etc/dd-agent/conf.d/go-metro.yaml");
    static final InetAddress LOOP = InetAddress.ofLiteral("127.0.0.1");
    static final InetAddress OWN = InetAddress.ofLiteral("10.0.0.5");

    static InstanceConfig inst(List<String> ips, List<String> hosts) {
        return new InstanceConfig(0, "eth0", Optional.empty(), List.of(),
                ips.stream().map(InetAddress::ofLiteral).toList(), hosts, false,
                ConfigKey.SAMPLE_DURATION.defaultDuration(), ConfigKey.SAMPLE_INTERVAL.defaultDuration());
    }

    @Test
    void emptyWhitelistIsAnError() {
        ConfigException e = assertThrows(ConfigException.class, () -> Whitelist.resolve(CFG, inst(List.of(), List.of()), List.of()));
        assertEquals(CFG + ": instances[0]: the whitelist (ips/hosts) is empty; go-metro measures only traffic to listed peers; "
                + "add ips: [...] or hosts: [...]", e.getMessage());
        assertEquals("instances[0]", e.keyPath());
    }

    @Test
    void onlyLocalAddressesIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Whitelist.resolve(CFG, inst(List.of("10.0.0.5"), List.of()), List.of(OWN, LOOP)));
        assertTrue(e.getMessage().startsWith(CFG + ": instances[0]: the whitelist (ips/hosts) has no usable peer: "
                + "it holds only this host's own addresses"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void hostsResolvingOnlyToLocalAddressesIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Whitelist.resolve(CFG, inst(List.of(), List.of("localhost")), List.of(LOOP, InetAddress.ofLiteral("::1"))));
        assertTrue(e.getMessage().contains("only this host's own addresses"), e.getMessage());
    }

    @Test
    void localAddressesAreDroppedWithAWarning() throws Exception {
        Whitelist.Result r = Whitelist.resolve(CFG, inst(List.of("10.0.0.5", "127.0.0.1"), List.of()), List.of(OWN));
        assertEquals(List.of(LOOP), r.peers());
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().getFirst().contains("[10.0.0.5] are this host's own addresses"), r.warnings().toString());
    }

    @Test
    void hostKeepsItsOwnNameAndIpsGetReverseNames() throws Exception {
        Whitelist.Result byHost = Whitelist.resolve(CFG, inst(List.of(), List.of("localhost")), List.of());
        assertTrue(byHost.peers().contains(LOOP), byHost.toString());
        assertEquals("localhost", byHost.names().get(LOOP));

        Whitelist.Result byIp = Whitelist.resolve(CFG, inst(List.of("127.0.0.1"), List.of()), List.of());
        assertEquals(List.of(LOOP), byIp.peers());
        assertEquals("localhost", byIp.names().get(LOOP)); // PTR from /etc/hosts
        assertEquals(List.of("127.0.0.1"), Whitelist.literals(byIp));

        Whitelist.Result both = Whitelist.resolve(CFG, inst(List.of("127.0.0.1"), List.of("localhost")), List.of());
        assertEquals(1, both.peers().stream().filter(LOOP::equals).count());
        assertEquals("localhost", both.names().get(LOOP));
    }

    @Test
    void unresolvableHostIsAWarningAndSkipped() throws Exception {
        Whitelist.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> Whitelist.resolve(CFG, inst(List.of(), List.of("no-such-host.invalid", "localhost")), List.of()));
        assertTrue(r.peers().contains(LOOP));
        assertFalse(r.names().containsValue("no-such-host.invalid"));
        assertEquals(1, r.warnings().size(), r.warnings().toString());
        assertTrue(r.warnings().getFirst().startsWith(CFG + ": instances[0].hosts: no-such-host.invalid did not resolve"), r.warnings().toString());
    }

    @Test
    void nothingResolvedIsAnError() {
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(ConfigException.class,
                () -> Whitelist.resolve(CFG, inst(List.of(), List.of("no-such-host.invalid")), List.of())));
        assertTrue(e.getMessage().contains("no usable peer: no host in hosts: resolved"), e.getMessage());
    }

    /** Name service that never answers (a black-holed DNS server). */
    static final Whitelist.Resolver SILENT = new Whitelist.Resolver() {
        @Override public InetAddress[] lookup(String host) throws Exception { Thread.sleep(60_000); throw new UnknownHostException(host); }
        @Override public String reverse(InetAddress a) throws Exception { Thread.sleep(60_000); return null; }
    };

    @Test
    void lookupsAreBoundedAndParallel() {
        List<String> hosts = List.of("a.example", "b.example", "c.example", "d.example", "e.example", "f.example");
        long t0 = System.nanoTime();
        ConfigException e = assertThrows(ConfigException.class,
                () -> Whitelist.resolve(CFG, inst(List.of(), hosts), List.of(), SILENT, Duration.ofMillis(300)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // six names, 300 ms each: sequential would be 1.8 s; parallel with a shared deadline is ~0.3 s
        assertTrue(ms < 1500, "took " + ms + " ms");
        assertTrue(e.getMessage().contains("no host in hosts: resolved"), e.getMessage());
    }

    @Test
    void slowReverseLookupFallsBackToTheAddress() throws Exception {
        Whitelist.Result r = Whitelist.resolve(CFG, inst(List.of("192.0.2.10", "192.0.2.11"), List.of()), List.of(),
                SILENT, Duration.ofMillis(200));
        assertEquals("192.0.2.10", r.names().get(InetAddress.ofLiteral("192.0.2.10")));
        assertEquals("192.0.2.11", r.names().get(InetAddress.ofLiteral("192.0.2.11")));
        assertEquals(2, r.peers().size());
    }

    @Test
    void anUnnamedIpv6PeerIsTaggedInTheSameCompressedFormAsTheSrcTag() throws Exception {
        // Found by the soak: the dst: tag read fd00:96:ac:0:0:0:0:2 while src: read fd00:96:ac::1.
        Whitelist.Result r = Whitelist.resolve(CFG, inst(List.of("fd00:96:ac::2"), List.of()), List.of(),
                SILENT, Duration.ofMillis(200));
        assertEquals("fd00:96:ac::2", r.names().get(InetAddress.ofLiteral("fd00:96:ac::2")));
    }

    @Test
    void silentHostWarningSaysItTimedOut() throws Exception {
        Whitelist.Result r = Whitelist.resolve(CFG, inst(List.of("192.0.2.10"), List.of("slow.example")), List.of(),
                SILENT, Duration.ofMillis(200));
        assertTrue(r.warnings().getFirst().contains("slow.example did not resolve (no answer within 200 ms); skipped"), r.warnings().toString());
    }
}
