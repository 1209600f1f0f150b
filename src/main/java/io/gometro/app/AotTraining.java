package io.gometro.app;

import io.gometro.app.logging.LogSetup;
import io.gometro.capture.CaptureException;
import io.gometro.capture.PacketSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run behind the AOT cache that ships in the runtime (scripts/build-tree runs
 * it once, with the launcher's JVM flags plus {@code -XX:AOTCacheOutput}). It goes through
 * what a real start goes through, so those classes come pre-loaded and pre-linked, with
 * profiles. Two caches, one per mode, because a cache is mapped and its classes loaded
 * whole at every start: mode {@code analysis} covers analysis mode (table and -json) and
 * -version (~1,600 classes, no logging, pcap4j or YAML); mode {@code daemon} covers the
 * daemon replaying a file ({@code interface: file}) with logging to a file, and the
 * pcap4j/JNA path of opening a live handle (which fails without CAP_NET_RAW at build time;
 * its classes load all the same). One cache for both made analysis mode map ~27 MB, twice
 * what it uses.
 *
 * <p>Usage: {@code AotTraining analysis|daemon PCAP WORKDIR}. Never used at run time.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("analysis") || args[0].equals("daemon"))) {
            System.err.println("usage: AotTraining analysis|daemon PCAP WORKDIR");
            System.exit(2);
        }
        boolean daemon = args[0].equals("daemon");
        String pcap = args[1];
        Path work = Files.createDirectories(Path.of(args[2]));
        PrintStream out = System.out;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        int rc = 0;
        try {
            if (!daemon) {
                // The hot path gets warm enough for the profiles to mean something.
                for (int i = 0; i < 20; i++) {
                    rc |= Main.run(new String[] {"-pcap=" + pcap, "-local=10.99.1.1", "-json"});
                }
                rc |= Main.run(new String[] {"-pcap", pcap});
                rc |= Main.run(new String[] {"-version"});
                return;
            }
            try (PacketSource h = PacketSource.live("lo", 512, 100, 0)) {
                h.setFilter("tcp and host 192.0.2.1");
                h.stats();
            } catch (CaptureException expectedWithoutCapNetRaw) {
                // the classes are loaded either way
            }
            Path cfg = work.resolve("go-metro.yaml");
            // DogStatsD on loopback's discard port: the packets go nowhere.
            Files.writeString(cfg, """
                    init_config:
                      log_to_file: true
                      log_level: info
                      statsd_ip: 127.0.0.1
                      statsd_port: 9
                      status_file: %s
                    instances:
                      - interface: file
                        pcap: %s
                        ips: [10.99.1.2]
                    """.formatted(work.resolve("status.json"), pcap));
            rc |= Main.run(new String[] {"-cfg=" + cfg, "-log=" + work.resolve("go-metro.log")});
        } finally {
            System.setOut(out);
            if (daemon) LogSetup.shutdown();
            finish(rc, work);
        }
    }

    private static void finish(int rc, Path work) {
        if (rc != 0) {
            System.err.println("AotTraining: a run failed (exit " + rc + "); see " + work.resolve("go-metro.log"));
            System.exit(1);
        }
        System.exit(0);
    }
}
