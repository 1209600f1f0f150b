package io.gometro.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where DogStatsD is, as Agent 7's clients choose it, with an explicit config winning. */
class DogStatsdAddressTest {
    @TempDir Path dir;

    GoMetroConfig load(String init) throws Exception {
        Path f = dir.resolve("go-metro.yaml");
        Files.writeString(f, "init_config:\n" + init + "instances:\n  - interface: lo\n    ips: [192.0.2.10]\n");
        return ConfigLoader.load(f);
    }

    DogStatsdAddress choose(String init, Map<String, String> env) throws Exception {
        return DogStatsdAddress.choose(load(init), env);
    }

    @Test
    void nothingSetIsTheLocalAgentsUdpPort() throws Exception {
        DogStatsdAddress a = choose("", Map.of());
        assertEquals("udp://127.0.0.1:8125", a.url());
        assertEquals("default", a.origin());
    }

    @Test
    void theUrlGivesAUnixSocketOrAUdpAddress() throws Exception {
        DogStatsdAddress a = choose("", Map.of("DD_DOGSTATSD_URL", "unix:///var/run/datadog/dsd.socket",
                "DD_AGENT_HOST", "10.0.0.9"));
        assertTrue(a.isUnix());
        assertEquals(Path.of("/var/run/datadog/dsd.socket"), a.socket());
        assertEquals("DD_DOGSTATSD_URL", a.origin(), "the URL wins over DD_AGENT_HOST");
        assertEquals("udp://10.1.2.3:9125", choose("", Map.of("DD_DOGSTATSD_URL", "udp://10.1.2.3:9125")).url());
        DogStatsdAddress v6 = choose("", Map.of("DD_DOGSTATSD_URL", "udp://[2001:db8::1]:8125"));
        assertEquals("2001:db8::1", v6.host());
        assertEquals("udp://[2001:db8::1]:8125", v6.url());
    }

    @Test
    void hostAndPortVariablesEachDefaultTheOther() throws Exception {
        assertEquals("udp://10.0.0.9:8125", choose("", Map.of("DD_AGENT_HOST", "10.0.0.9")).url());
        assertEquals("udp://127.0.0.1:18125", choose("", Map.of("DD_DOGSTATSD_PORT", "18125")).url());
        assertEquals("udp://agent.local:18125", choose("", Map.of("DD_AGENT_HOST", "agent.local",
                "DD_DOGSTATSD_PORT", "18125")).url());
        assertEquals("udp://127.0.0.1:8125", choose("", Map.of("DD_AGENT_HOST", " ", "DD_DOGSTATSD_URL", "")).url(),
                "empty variables count as unset");
    }

    @Test
    void anExplicitConfigWins() throws Exception {
        Map<String, String> env = Map.of("DD_DOGSTATSD_URL", "unix:///x.sock", "DD_AGENT_HOST", "10.0.0.9");
        assertEquals("udp://127.0.0.1:9999", choose("  statsd_port: 9999\n", env).url());
        assertEquals("udp://10.5.5.5:8125", choose("  statsd_ip: 10.5.5.5\n", env).url());
        assertEquals("init_config.statsd_ip/statsd_port", choose("  statsd_ip: 10.5.5.5\n", env).origin());
    }

    @Test
    void aBadVariableIsOneLineNamingItAndWhereToFixIt() throws Exception {
        for (Map<String, String> env : new Map[] {
                Map.of("DD_DOGSTATSD_URL", "tcp://10.0.0.1:8125"),
                Map.of("DD_DOGSTATSD_URL", "unix://relative.sock"),
                Map.of("DD_DOGSTATSD_URL", "udp://10.0.0.1"),
                Map.of("DD_DOGSTATSD_PORT", "99999"),
                Map.of("DD_AGENT_HOST", "not a host!")}) {
            String var = env.keySet().iterator().next();
            ConfigException e = assertThrows(ConfigException.class, () -> choose("", env), env.toString());
            assertTrue(e.getMessage().contains("environment " + var), e.getMessage());
            assertTrue(e.getMessage().contains("/etc/datadog-agent/environment"), e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("go-metro.yaml").toString()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void statusFileIsAnAbsolutePath() throws Exception {
        assertEquals(ConfigKey.STATUS_FILE.defaultPath(), load("").statusFile());
        assertEquals(Path.of("/run/x/status.json"), load("  status_file: /run/x/status.json\n").statusFile());
        ConfigException e = assertThrows(ConfigException.class, () -> load("  status_file: status.json\n"));
        assertTrue(e.getMessage().contains("init_config.status_file"), e.getMessage());
    }
}
