package io.gometro.app.commands;

import io.gometro.app.pipeline.PacketPump;
import io.gometro.capture.CaptureException;
import io.gometro.capture.PacketSource;
import io.gometro.flow.FlowTracker;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import io.gometro.net.Addresses;
import io.gometro.report.AnalysisReport;

import java.io.PrintStream;
import java.net.InetAddress;
import java.util.List;

/**
 * Analysis mode, {@code go-metro -pcap=FILE [-local=IP,...] [-json]}: reads a capture
 * with the daemon's own decode and tracker, then prints every flow that carried data.
 * Offline and live share everything but the handle, so this is also how the daemon's
 * behaviour is tested.
 */
public final class Analyze {
    private Analyze() {}

    /** Returns the process exit code. */
    public static int run(String pcap, List<InetAddress> locals, boolean json, String filter,
                   PrintStream out, PrintStream err) {
        LocalPolicy local = locals.isEmpty() ? LocalPolicy.everyone() : LocalPolicy.of(Addresses.pairs(locals));

        TrackerConfig d = TrackerConfig.defaults();
        // No periodic flush is needed: flows are printed as they leave the table.
        TrackerConfig cfg = new TrackerConfig(d.idleTtlNanos(), d.expTtlNanos(), Long.MAX_VALUE / 4,
                d.maxFlows(), d.maxPending(), true);
        AnalysisReport report = new AnalysisReport();
        FlowTracker tracker = new FlowTracker(cfg, local, report);

        try (PacketSource h = PacketSource.file(pcap)) {
            if (filter != null && !filter.isBlank()) h.setFilter(filter);
            PacketPump pump = new PacketPump(tracker, h.linkType());
            PacketSource.End end;
            do end = h.loop(pump, () -> false); while (end == PacketSource.End.YIELD);
            tracker.finish(tracker.clock());
            report.print(out, json);
            out.flush();
            // At most one warning line: the damage that stopped the read, else what was skipped.
            String skipped = pump.damaged() > 0
                    ? pump.damaged() + " truncated or malformed packets skipped" : null;
            if (end == PacketSource.End.ERROR) {
                err.println("go-metro: " + pcap + ": read stopped after " + pump.packets()
                        + " packets: " + h.lastError() + " (flows above are up to the damage"
                        + (skipped != null ? "; " + skipped : "") + ")");
            } else if (skipped != null) {
                err.println("go-metro: " + pcap + ": " + skipped);
            }
            return 0;
        } catch (CaptureException e) {
            err.println("go-metro: " + e.getMessage());
            return 1;
        }
    }
}
