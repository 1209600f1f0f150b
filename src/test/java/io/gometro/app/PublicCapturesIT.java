package io.gometro.app;

import io.gometro.app.commands.Analyze;
import io.gometro.lab.Cmd;
import io.gometro.lab.GoMetroCommand;
import io.gometro.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 67 public captures of ../shared/realworld, which nobody on this project wrote (retransmissions,
 * SACK, no timestamps, IPv6, VLAN, QinQ, PPPoE, MPLS, SLL/SLL2, loopback, pcapng, nanosecond files,
 * TSO/GRO, thousands of flows, frames seen two to four times), through analysis mode: each is read
 * without an error or a stack trace, and every flow whose data tshark's tcp.analysis.ack_rtt times
 * is measured too, but for the flows listed in {@link #BY_DESIGN} with the reason.
 */
class PublicCapturesIT {
    /** "file data-sender" (ip:port), or "file" for all of it, that tshark times and we do not, on purpose. */
    static final Map<String, String> BY_DESIGN = Map.of(
            "ndpi_gnutella.pcap 10.0.2.15:50245",
            "its SYN was sent three times and the SYN-ACK came 31.7 s after the first: tshark times it from the "
                    + "first copy, Karn excludes a retransmitted segment",
            "pcapplusplus_tls2.pcap",
            "a TLS-only extract (no pure ACKs, segments left out): its ACKs cover data the capture never held "
                    + "(ignored, as the kernel ignores an ACK of unsent data) or echo the TSval of a segment it "
                    + "left out (timing the earlier one would span the gap: discarded)");

    record Run(int exit, String out, String err) {}

    static Run analyze(Path pcap) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Analyze.run(pcap.toString(), List.of(), true, null,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** tshark's ack_rtt count per data sender "ip:port > ip:port" (the ACK's destination is the sender). */
    static Map<String, Integer> tsharkTimed(Path pcap) {
        Cmd.Result r = Cmd.run(Duration.ofMinutes(2), "tshark", "-r", pcap.toString(), "-Y", "tcp.analysis.ack_rtt",
                "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst",
                "-e", "tcp.dstport");
        assertEquals(0, r.exitCode(), pcap + ": tshark: " + r.stderr());
        Map<String, Integer> timed = new TreeMap<>();
        for (String l : r.stdout().lines().toList()) {
            String[] f = l.split("\t", -1);
            if (f.length < 6) continue;
            String src = first(f[0].isEmpty() ? f[1] : f[0]) + ":" + first(f[2]);
            String dst = first(f[3].isEmpty() ? f[4] : f[3]) + ":" + first(f[5]);
            timed.merge(dst + " > " + src, 1, Integer::sum);
        }
        return timed;
    }

    private static String first(String field) {
        int comma = field.indexOf(',');   // tunnelled packets list the outer header first; take the inner
        return comma < 0 ? field : field.substring(field.lastIndexOf(',') + 1);
    }

    private static String endpoint(String e) {
        int colon = e.lastIndexOf(':');
        String host = e.substring(0, colon).replace("[", "").replace("]", "");
        return host + e.substring(colon);
    }

    @Test
    void everyPublicCaptureIsReadAndEveryFlowTsharkTimesIsMeasured() {
        List<Path> all = Shared.realworld();
        assertTrue(all.size() >= 67, "the public captures: " + all.size());
        List<String> missed = new ArrayList<>();
        java.util.Set<String> used = new java.util.HashSet<>();
        int flows = 0, byDesign = 0;
        long ours = 0, theirs = 0;
        for (Path p : all) {
            Run r = analyze(p);
            String name = p.getFileName().toString();
            assertEquals(0, r.exit(), name + ": " + r.err());
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), name + ": a stack trace:\n" + r.err());
            assertTrue(r.err().lines().count() <= 1, name + ": at most one warning line:\n" + r.err());
            Map<String, Long> measured = new HashMap<>();
            for (GoMetroCommand.Flow f : GoMetroCommand.parseJsonLines(r.out())) {
                measured.merge(endpoint(f.src()) + " > " + endpoint(f.dst()), f.samples(), Long::sum);
                ours += f.samples();
            }
            for (Map.Entry<String, Integer> t : tsharkTimed(p).entrySet()) {
                flows++;
                theirs += t.getValue();
                if (measured.getOrDefault(t.getKey(), 0L) > 0) continue;
                String sender = t.getKey().substring(0, t.getKey().indexOf(' '));
                String exception = BY_DESIGN.containsKey(name + " " + sender) ? name + " " + sender
                        : BY_DESIGN.containsKey(name) ? name : null;
                if (exception != null) {
                    byDesign++;
                    used.add(exception);
                }
                else missed.add(name + ": " + t.getKey() + " (" + t.getValue() + " tshark RTTs)");
            }
        }
        System.out.printf("PublicCapturesIT: %d captures, %d flows timed by tshark (%d ACK RTTs); we measure all but %d "
                + "(by design) with %d samples%n", all.size(), flows, theirs, byDesign, ours);
        assertTrue(missed.isEmpty(), missed.size() + " flows tshark times and we do not:\n" + String.join("\n", missed));
        assertEquals(BY_DESIGN.keySet(), used, "a by-design exception no longer applies: remove it from the list");
        assertTrue(flows > 3000, "tshark timed " + flows + " flows");
    }

    /** Captures where every frame appears 2-4 times (MANIFEST.tsv): each copy is recognised and ignored. */
    @Test
    void capturesWithEveryFrameSeveralTimesAreMeasured() {
        for (String name : Set.of("zeek_http_m57-long-49583-80.pcap", "ndpi_dnp3.pcap", "ndpi_rtsp.pcap",
                "zeek_http_vnd.ms-cab-compressed-multi-conn.pcap")) {
            Run r = analyze(Shared.realworld(name));
            long samples = GoMetroCommand.parseJsonLines(r.out()).stream().mapToLong(GoMetroCommand.Flow::samples).sum();
            // Before copies were recognised, every one of these gave 0 samples.
            assertTrue(samples >= 20, name + ": " + samples + " samples\n" + r.out());
        }
    }
}
