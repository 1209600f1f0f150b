package io.gometro.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** tcpdump inside a lab namespace writing a pcap; stopped with SIGINT so the file is flushed and complete. */
public final class Tcpdump implements AutoCloseable {
    /** Which link-layer header the capture gets. */
    public enum Link {
        /** On the veth itself: Ethernet. */
        ETHERNET(null),
        /** On "any", Linux cooked v1. */
        SLL("LINUX_SLL"),
        /** On "any", Linux cooked v2 (carries the interface index). */
        SLL2("LINUX_SLL2");

        final String dlt;

        Link(String dlt) { this.dlt = dlt; }
    }

    private final Process process;
    private final Path pcap;
    private final Path log;

    private Tcpdump(Process process, Path pcap, Path log) {
        this.process = process;
        this.pcap = pcap;
        this.log = log;
    }

    /**
     * Starts tcpdump in {@code ns} on {@code iface} (used for ETHERNET; SLL/SLL2 capture on "any") and returns
     * once it is listening. {@code maxPackets} > 0 adds -c; {@code filter} may be null.
     */
    public static Tcpdump start(NetLab lab, String ns, String iface, Link link, int snaplen, Path pcap,
                                int maxPackets, String filter) {
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-n", "-U", "--immediate-mode", "-s", Integer.toString(snaplen),
                "-w", pcap.toString()));
        // --immediate-mode: with TPACKET_V3 packets otherwise wait in a ring block until it fills or its 1 s timeout
        // ends, and a SIGINT in the meantime loses them (a short bulk run came out empty).
        // Z root: without it tcpdump drops to user tcpdump and cannot write into our temp dir.
        cmd.addAll(List.of("-Z", "root"));
        if (link == Link.ETHERNET) {
            cmd.addAll(List.of("-i", iface));
        } else {
            cmd.addAll(List.of("-i", "any", "-y", link.dlt));
        }
        if (maxPackets > 0) cmd.addAll(List.of("-c", Integer.toString(maxPackets)));
        if (filter != null) cmd.add(filter);
        Path log = pcap.resolveSibling(pcap.getFileName() + ".log");
        Process p = lab.spawn(ns, log, cmd);
        Cmd.awaitOutput(p, log, "listening on", Duration.ofSeconds(10), "tcpdump");
        return new Tcpdump(p, pcap, log);
    }

    /** SIGINT (tcpdump's clean stop), wait, and return the pcap; fails if tcpdump reports kernel drops. */
    public Path stop() {
        if (process.isAlive()) {
            try {
                Thread.sleep(200); // let the last ACKs of the run reach the capture before we stop it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Cmd.run(Duration.ofSeconds(5), "kill", "-INT", Long.toString(process.pid()));
            Cmd.stop(process, Duration.ofSeconds(5));
        }
        if (!Files.exists(pcap)) throw new IllegalStateException("tcpdump wrote no file " + pcap + "; log " + log);
        return pcap;
    }

    /** tcpdump's own summary (packets captured / dropped by kernel). */
    public String log() {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        stop();
    }
}
