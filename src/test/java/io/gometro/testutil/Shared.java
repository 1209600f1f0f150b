package io.gometro.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Captures other projects published, read at test time from {@code ../shared} beside the
 * checkout (CI has it there too) and never copied into the project. When it is absent the
 * test fails naming the path: a test that needs them is never silently green.
 */
public final class Shared {
    private Shared() {}

    /** ../shared, or the directory named by -Dgometro.shared. */
    public static Path dir() {
        Path d = Path.of(System.getProperty("gometro.shared",
                Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../shared").normalize().toString()));
        if (!Files.isDirectory(d.resolve("realworld")) || !Files.isDirectory(d.resolve("fixtures"))) {
            throw new IllegalStateException("this test reads public captures from " + d + " (fixtures/ and realworld/), "
                    + "which is missing: check the project out beside shared/, or set -Dgometro.shared=DIR");
        }
        return d;
    }

    /** go-metro's own public captures: test_scp.pcap, test_tcp.pcap. */
    public static Path fixture(String name) {
        return dir().resolve("fixtures").resolve(name);
    }

    /**
     * A fixture converted to pcapng by Wireshark's editcap (the same packets, another format),
     * made at test time under target/ since nothing derived from them is kept in the project.
     */
    public static Path fixturePcapng(String name) {
        Path out = Path.of(System.getProperty("basedir", ".")).resolve("target/shared-derived/" + name + "ng");
        try {
            if (!Files.exists(out)) {
                Files.createDirectories(out.getParent());
                Path tmp = Files.createTempFile(out.getParent(), name, ".tmp");
                Process p = new ProcessBuilder("editcap", "-F", "pcapng", fixture(name).toString(), tmp.toString())
                        .redirectErrorStream(true).start();
                String said = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) throw new IllegalStateException("editcap -F pcapng " + name + " failed: " + said);
                Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot make " + out + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted making " + out, e);
        }
    }

    /** One capture of shared/realworld (see its MANIFEST.tsv). */
    public static Path realworld(String name) {
        return dir().resolve("realworld").resolve(name);
    }

    /** Every capture of shared/realworld, by name. */
    public static List<Path> realworld() {
        try (Stream<Path> s = Files.list(dir().resolve("realworld"))) {
            return s.filter(p -> p.toString().endsWith(".pcap") || p.toString().endsWith(".pcapng")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir().resolve("realworld") + ": " + e.getMessage(), e);
        }
    }
}
