package io.gometro.oracle;

import io.gometro.capture.PacketSource;
import io.gometro.decode.PacketView;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real tracker beside the reference rule on every public capture: go-metro's own two and the 67
 * of ../shared/realworld (pcap and pcapng, read by libpcap as analysis mode reads them), with the
 * shipped limits and with small ones (64 connections, 8 segments each) under which the busy captures
 * evict and merge. Every packet must get the same answer from both.
 */
class ReferenceCorpusIT {
    private static final TrackerConfig SMALL = new TrackerConfig(300 * TrackerConfig.SECOND, 60 * TrackerConfig.SECOND,
            30 * TrackerConfig.SECOND, 64, 8, false);

    private static Agreement replay(Path file, TrackerConfig cfg) throws Exception {
        Agreement a = new Agreement(cfg, LocalPolicy.everyone(), Agreement.NO_LISTENER);
        PacketView v = new PacketView();
        try (PacketSource src = PacketSource.file(file.toString())) {
            int link = src.linkType();
            PacketSource.End end = src.loop((seg, off, caplen, wire, ts) -> {
                if (v.decode(seg, off, caplen, link) == PacketView.OK) a.onPacket(v, ts);
                return true;
            }, () -> false);
            assertEquals(PacketSource.End.EOF, end, file + ": " + src.lastError());
        }
        return a;
    }

    @Test
    void theTrackerAgreesWithTheRuleOnEveryPacketOfEveryPublicCapture() throws Exception {
        List<Path> all = new ArrayList<>(List.of(Shared.fixture("test_scp.pcap"), Shared.fixture("test_tcp.pcap")));
        all.addAll(Shared.realworld());
        assertTrue(all.size() >= 69, "captures: " + all.size());
        List<String> failures = new ArrayList<>();
        long packets = 0, samples = 0, discarded = 0, copies = 0, missed = 0, smallSamples = 0;
        for (Path p : all) {
            for (TrackerConfig cfg : new TrackerConfig[] {TrackerConfig.defaults(), SMALL}) {
                Agreement a = replay(p, cfg);
                try {
                    a.assertAgreed(p.getFileName() + (cfg == SMALL ? " (64 connections, 8 segments)" : ""));
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                }
                if (cfg == SMALL) {
                    smallSamples += a.samples();
                    continue;
                }
                packets += a.packets();
                samples += a.samples();
                discarded += a.discarded();
                copies += a.copies();
                missed += a.copiesMissed();
            }
        }
        System.out.printf("ReferenceCorpusIT: %d captures, %d TCP packets: %d samples and %d discarded, the same from "
                        + "both on every packet (%d samples with the small limits); %d copies ignored, %d more the "
                        + "frame table missed%n", all.size(), packets, samples, discarded, smallSamples, copies, missed);
        assertTrue(failures.isEmpty(), failures.size() + " runs disagree:\n" + String.join("\n", failures));
        assertTrue(samples > 50_000, "samples: " + samples);
        // The densest capture holds 3,000 frames in 6 ms; a direct-mapped frame table forgot 21 of its copies.
        assertEquals(0, missed, "copies the tracker's frame table forgot");
    }
}
