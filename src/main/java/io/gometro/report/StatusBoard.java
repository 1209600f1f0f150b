package io.gometro.report;

import io.gometro.config.ConfigKey;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's state for {@code go-metro -status}: one {@link Slot} per instance, written as one
 * small JSON file, replaced atomically (a temporary file renamed over it) at every flush, at
 * start and at stop. A reader never sees half a file, and a file older than three flushes means a
 * daemon that stopped flushing.
 *
 * <p>Each slot has one writer: its capture thread, or the daemon's main thread before the capture
 * starts and after it ends. The file is written by whichever thread publishes, under this lock.
 * A status that cannot be written (a directory dd-agent may not write) is logged once and the
 * daemon carries on.
 */
public final class StatusBoard {
    private static final Logger LOG = LogManager.getLogger(StatusBoard.class);
    /** The status file's format; {@code go-metro -status} refuses another. */
    public static final int FORMAT = 1;

    /** One (src, dst) pair at the last flush, in ms. */
    public record PairRow(String src, String dst, double rttMs, double avgMs, double jitterMs) {}

    /**
     * One instance's state.
     *
     * @param state         starting, capturing, failed, or stopped (the daemon stopped)
     * @param reason        why it failed, or null
     * @param sinceMillis   when it entered that state
     * @param lastFlushMillis the last flush, or 0 before the first
     */
    public record InstanceStatus(String key, String iface, String state, String reason, long sinceMillis,
                                 long packets, long dropped, long activeFlows, long lastFlushMillis,
                                 int pairsReported, List<String> whitelist, List<PairRow> pairs) {
        public InstanceStatus {
            whitelist = List.copyOf(whitelist);
            pairs = List.copyOf(pairs);
        }

        /** The same figures in another state, entered at {@code sinceMillis}. */
        public InstanceStatus withState(String state, String reason, long sinceMillis) {
            return new InstanceStatus(key, iface, state, reason, sinceMillis, packets, dropped, activeFlows,
                    lastFlushMillis, pairsReported, whitelist, pairs);
        }
    }

    /** One instance's place on the board; the status sink of its {@link Reporter}. */
    public final class Slot implements ReportSink {
        private volatile InstanceStatus status;

        private Slot(InstanceStatus initial) {
            this.status = initial;
        }

        public InstanceStatus get() {
            return status;
        }

        /** Replaces this instance's state and rewrites the file. */
        public void publish(InstanceStatus s) {
            status = s;
            write();
        }

        /** A flush: the instance captures, with these figures, pairs and whitelist. */
        @Override
        public void accept(PairReport r) {
            List<PairRow> rows = new ArrayList<>(r.rows().size());
            for (PairReport.Row p : r.rows())
                rows.add(new PairRow(p.src(), p.dst(), p.last() / 1e6, p.avg() / 1e6, p.jitter() / 1e6));
            InstanceStatus was = status;
            CaptureCounters c = r.counters();
            long now = r.atMillis();
            publish(new InstanceStatus(was.key(), was.iface(), "capturing", null,
                    "capturing".equals(was.state()) ? was.sinceMillis() : now,
                    c == null ? was.packets() : c.packets(), c == null ? was.dropped() : c.dropped(),
                    c == null ? was.activeFlows() : c.activeFlows(), now, rows.size(), r.whitelist(), rows));
        }
    }

    private final Path file;
    private final long flushIntervalSeconds;
    private final String config;
    private final String dogstatsd;
    private final String version;
    private final long pid = ProcessHandle.current().pid();
    private final long startedMillis;
    private final List<Slot> slots = new ArrayList<>();
    private boolean running = true;
    private boolean warned;

    /**
     * @param file       the status file (init_config.status_file)
     * @param dogstatsd  the DogStatsD address and where it came from, as the log says it
     */
    public StatusBoard(Path file, long flushIntervalSeconds, String config, String dogstatsd, String version) {
        this.file = file;
        this.flushIntervalSeconds = flushIntervalSeconds;
        this.config = config;
        this.dogstatsd = dogstatsd;
        this.version = version;
        this.startedMillis = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli)
                .orElse(System.currentTimeMillis());
    }

    public Path file() {
        return file;
    }

    /** A new instance's slot, in config order. */
    public synchronized Slot slot(InstanceStatus initial) {
        Slot s = new Slot(initial);
        slots.add(s);
        return s;
    }

    /** The last write, as the daemon stops: the status stays for -status to report, marked stopped. */
    public void stopped() {
        synchronized (this) {
            running = false;
            long now = System.currentTimeMillis();
            for (Slot slot : slots) {
                InstanceStatus s = slot.get();
                if (!"capturing".equals(s.state()) && !"starting".equals(s.state())) continue;
                slot.status = s.withState("stopped", null, now);
            }
        }
        write();
    }

    /** Rewrites the file from every slot's current state. */
    public synchronized void write() {
        String json = json(System.currentTimeMillis());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            // 0644 whatever the umask (a world-writable status could be forged); a stale temp goes first
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(tmp, json);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | SecurityException e) {
            if (!warned) {
                warned = true;
                String why = e instanceof java.nio.file.NoSuchFileException ? "its directory " + file.getParent()
                        + " does not exist" : e instanceof java.nio.file.AccessDeniedException
                        ? "permission denied" : String.valueOf(e.getMessage());
                LOG.warn("cannot write the status file {} ({}); go-metro -status will not see this daemon. Create "
                        + "its directory writable by the user go-metro runs as, or set {}",
                        file, why, ConfigKey.STATUS_FILE.path());
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | SecurityException ignored) {
                // the warning above already says the directory is not ours
            }
        }
    }

    String json(long nowMillis) {
        StringBuilder b = new StringBuilder(1024);
        b.append("{\n  \"format\": ").append(FORMAT)
                .append(",\n  \"version\": ").append(str(version))
                .append(",\n  \"pid\": ").append(pid)
                .append(",\n  \"process_started_ms\": ").append(startedMillis)
                .append(",\n  \"running\": ").append(running)
                .append(",\n  \"written_ms\": ").append(nowMillis)
                .append(",\n  \"flush_interval_s\": ").append(flushIntervalSeconds)
                .append(",\n  \"config\": ").append(str(config))
                .append(",\n  \"dogstatsd\": ").append(str(dogstatsd))
                .append(",\n  \"instances\": [");
        for (int i = 0; i < slots.size(); i++) {
            InstanceStatus s = slots.get(i).get();
            b.append(i == 0 ? "\n" : ",\n").append("    {\"key\": ").append(str(s.key()))
                    .append(", \"iface\": ").append(str(s.iface()))
                    .append(", \"state\": ").append(str(s.state()))
                    .append(", \"reason\": ").append(str(s.reason()))
                    .append(", \"since_ms\": ").append(s.sinceMillis())
                    .append(",\n     \"packets\": ").append(s.packets())
                    .append(", \"dropped\": ").append(s.dropped())
                    .append(", \"active_flows\": ").append(s.activeFlows())
                    .append(", \"last_flush_ms\": ").append(s.lastFlushMillis())
                    .append(", \"pairs_reported\": ").append(s.pairsReported())
                    .append(",\n     \"whitelist\": [");
            for (int j = 0; j < s.whitelist().size(); j++) b.append(j == 0 ? "" : ", ").append(str(s.whitelist().get(j)));
            b.append("],\n     \"pairs\": [");
            for (int j = 0; j < s.pairs().size(); j++) {
                PairRow p = s.pairs().get(j);
                b.append(j == 0 ? "\n" : ",\n").append("       {\"src\": ").append(str(p.src()))
                        .append(", \"dst\": ").append(str(p.dst()))
                        .append(", \"rtt_ms\": ").append(num(p.rttMs()))
                        .append(", \"avg_ms\": ").append(num(p.avgMs()))
                        .append(", \"jitter_ms\": ").append(num(p.jitterMs())).append('}');
            }
            b.append(s.pairs().isEmpty() ? "]}" : "\n     ]}");
        }
        b.append(slots.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        return b.toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(java.util.Locale.ROOT, "%.3f", v) : "null";
    }

    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2);
        ReportText.jsonString(b, s);
        return b.toString();
    }
}
