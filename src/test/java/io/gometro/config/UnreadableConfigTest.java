package io.gometro.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A config file the process may not read. Tests run as root, which ignores mode 000, so then the
 * loader is run in a child JVM as user nobody (setpriv), from a copy of the classes nobody can read.
 */
class UnreadableConfigTest {
    @TempDir Path dir;

    @Test
    void unreadableFileIsOneClearLine() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path f = dir.resolve("go-metro.yaml");
        Files.writeString(f, ConfigLoaderTest.OK_INSTANCE);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        String expected = f + ": cannot read the file: permission denied; make it readable by the user go-metro runs as";

        if (!Files.isReadable(f)) { // not privileged: test in this JVM
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
            assertTrue(e.getMessage().startsWith(expected), e.getMessage());
            return;
        }
        Path setpriv = Path.of("/usr/bin/setpriv");
        assumeTrue(Files.isExecutable(setpriv), "running as root and util-linux setpriv is missing: cannot drop to an unprivileged user");
        String out = runAsNobody(setpriv, f);
        assertTrue(out.startsWith(expected), out);
        assertEquals(1, out.strip().lines().count(), out);
    }

    private String runAsNobody(Path setpriv, Path config) throws Exception {
        Path cp = dir.resolve("cp");
        copyTree(Path.of(ConfigLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI()), cp.resolve("classes"));
        Path testClass = Path.of(LoadConfigMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("io/gometro/config/LoadConfigMain.class");
        Files.copy(testClass, cp.resolve("classes/io/gometro/config/LoadConfigMain.class"));
        Path yamlJar = Path.of(Yaml.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.copy(yamlJar, cp.resolve("snakeyaml.jar"));
        try (Stream<Path> s = Files.walk(cp)) {
            for (Path p : s.toList())
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        Process p = new ProcessBuilder(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
                java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", cp.resolve("classes") + ":" + cp.resolve("snakeyaml.jar"),
                LoadConfigMain.class.getName(), config.toString()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
