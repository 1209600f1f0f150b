package io.gometro.oracle;

import io.gometro.decode.PacketView;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.net.Addresses;
import io.gometro.testutil.PcapFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's result check, against the reference rule rather than against go-metro itself:
 *
 * <pre>java -cp target/classes:target/test-classes io.gometro.oracle.ReferenceReport SINGLE.pcap LOCAL_IP BIG.jsonl COPIES FIRST_PORT</pre>
 *
 * runs {@link ReferenceTracker} alone over the single capture (no tracker code), works out each
 * flow's figures from its samples (count, last, RFC 6298 SRTT and RTTVAR, min, max), and requires
 * go-metro's {@code -json} output over the many-copy capture to hold each flow exactly COPIES
 * times with those figures, to the 6 decimals it prints, and every client port
 * FIRST_PORT..FIRST_PORT+COPIES-1 once per flow. p50 and p95 come from go-metro's sketch and are not
 * compared. Prints one line; exits 1 naming the first difference.
 */
public final class ReferenceReport {
    private ReferenceReport() {}

    /** One flow's figures, ms. */
    record Figures(long samples, double last, double avg, double jitter, double min, double max) {}

    static Map<String, Figures> figures(PcapFile file, LocalPolicy local) {
        ReferenceTracker rule = new ReferenceTracker(TrackerConfig.defaults(), local);
        Map<String, List<Long>> byPair = new TreeMap<>();
        PacketView v = new PacketView();
        for (PcapFile.Record r : file.records()) {
            if (v.decode(MemorySegment.ofArray(r.data()), 0, r.caplen(), file.linkType()) != PacketView.OK) continue;
            ReferenceTracker.Outcome o = rule.offer(v, r.tsNanos());
            if (o == null || o.kind() != ReferenceTracker.Kind.SAMPLE) continue;
            byPair.computeIfAbsent(Addresses.toString(o.srcHi(), o.srcLo()) + " " + Addresses.toString(o.dstHi(), o.dstLo()),
                    k -> new ArrayList<>()).add(o.rttNanos());
        }
        Map<String, Figures> out = new TreeMap<>();
        byPair.forEach((pair, samples) -> out.put(pair, of(samples)));
        return out;
    }

    /** RFC 6298 section 2: the first R sets SRTT = R, RTTVAR = R/2; then RTTVAR from the old SRTT, then SRTT. */
    static Figures of(List<Long> samples) {
        double srtt = 0, rttvar = 0;
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (int i = 0; i < samples.size(); i++) {
            long r = samples.get(i);
            if (i == 0) {
                srtt = r;
                rttvar = r / 2.0;
            } else {
                rttvar = (1 - 0.25) * rttvar + 0.25 * Math.abs(srtt - r);
                srtt = (1 - 0.125) * srtt + 0.125 * r;
            }
            min = Math.min(min, r);
            max = Math.max(max, r);
        }
        return new Figures(samples.size(), samples.getLast() / 1e6, srtt / 1e6, rttvar / 1e6, min / 1e6, max / 1e6);
    }

    private static final Pattern ENDPOINT = Pattern.compile("\"(src|dst)\":\"\\[?([^\"\\]]*?)\\]?:(\\d+)\"");

    private static double number(String line, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.eE+-]+)").matcher(line);
        if (!m.find()) throw new IllegalArgumentException("no " + key + " in " + line);
        return Double.parseDouble(m.group(1));
    }

    /** Returns the error, or null when the many-copy output holds exactly the reference's figures. */
    static String check(Map<String, Figures> want, List<String> lines, int copies, int firstPort) {
        if (want.isEmpty()) return "the reference rule took no sample from the single capture: nothing to compare";
        if (lines.size() != want.size() * copies) {
            return lines.size() + " flows in go-metro's output, want " + want.size() + " x " + copies + " copies";
        }
        Map<String, Integer> portUses = new HashMap<>();
        for (String line : lines) {
            Matcher m = ENDPOINT.matcher(line);
            String[] host = new String[2];
            for (int i = 0; i < 2; i++) {
                if (!m.find()) return "no src/dst in " + line;
                host[i] = m.group(2);
                int port = Integer.parseInt(m.group(3));
                if (port >= firstPort && port < firstPort + copies) portUses.merge(host[i] + " " + port, 1, Integer::sum);
            }
            Figures f = want.get(host[0] + " " + host[1]);
            if (f == null) return "a flow the reference rule does not have: " + line;
            if (number(line, "samples") != f.samples()) return "samples: want " + f.samples() + " in " + line;
            double[] got = {number(line, "rtt_ms"), number(line, "avg_ms"), number(line, "jitter_ms"),
                    number(line, "min_ms"), number(line, "max_ms")};
            double[] exp = {f.last(), f.avg(), f.jitter(), f.min(), f.max()};
            String[] names = {"rtt_ms", "avg_ms", "jitter_ms", "min_ms", "max_ms"};
            for (int i = 0; i < got.length; i++) {
                // go-metro prints 6 decimals: half a unit of the last one, and a hair for the binary.
                if (Math.abs(got[i] - exp[i]) > 0.5e-6 + 1e-9) {
                    return names[i] + ": want " + String.format("%.9f", exp[i]) + " (reference rule) in " + line;
                }
            }
        }
        if (portUses.size() != copies) return portUses.size() + " client ports seen, want " + copies;
        for (Map.Entry<String, Integer> e : portUses.entrySet()) {
            if (e.getValue() != want.size()) return "client port " + e.getKey() + " in " + e.getValue() + " flows, want " + want.size();
        }
        return null;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: ReferenceReport SINGLE.pcap LOCAL_IP BIG.jsonl COPIES FIRST_PORT");
            System.exit(2);
        }
        Map<String, Figures> want = figures(PcapFile.read(Path.of(args[0])), LocalPolicy.of(Addresses.parse(args[1])));
        List<String> lines = Files.readAllLines(Path.of(args[2])).stream().filter(l -> !l.isBlank()).toList();
        int copies = Integer.parseInt(args[3]);
        String error = check(want, lines, copies, Integer.parseInt(args[4]));
        if (error != null) {
            System.err.println("results: " + args[2] + " differs from the reference rule over " + args[0] + ": " + error);
            System.exit(1);
        }
        System.out.println("results: all " + copies + " copies x " + want.size() + " flow(s) = " + lines.size()
                + " lines equal the reference rule's figures for the single capture (samples, last, avg, jitter, min, max)");
    }
}
