package io.gometro.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs scripts/lab/tcp-load: server in ns b, client in ns a, and returns both sides' TCP_INFO view. */
public final class TcpLoad {
    private TcpLoad() {}

    /** What to send. */
    public record Spec(String mode, long count, int reqBytes, int respBytes, int thinkMs, int sockBuf) {
        /** Client sends {@code bytes} as fast as the window allows. */
        public static Spec bulk(long bytes) { return new Spec("bulk", bytes, 0, 0, 0, 0); }
        /** {@code k} request/response rounds. */
        public static Spec rr(long k, int req, int resp) { return new Spec("rr", k, req, resp, 0, 0); }
        public Spec sockBuf(int bytes) { return new Spec(mode, count, reqBytes, respBytes, thinkMs, bytes); }
        public Spec think(int ms) { return new Spec(mode, count, reqBytes, respBytes, ms, sockBuf); }
    }

    /** One side's RESULT line: median of the sampled tcpi_rtt in µs and how many samples. */
    public record Side(Map<String, String> fields) {
        public long medianRttUs() { return Long.parseLong(fields.get("median_rtt_us")); }
        public double medianRttMs() { return medianRttUs() / 1000.0; }
        public int samples() { return Integer.parseInt(fields.get("samples")); }
        public long minRttUs() { return Long.parseLong(fields.get("min_rtt_us")); }
        /** The kernel's srtt (tcpi_rtt) when the connection ended: the same estimator as go-metro's avg. */
        public double lastRttMs() { return Long.parseLong(fields.get("last_rtt_us")) / 1000.0; }
        /** The larger of the median and the end-of-run srtt: the kernel's own ceiling for the path. */
        public double highRttMs() { return Math.max(medianRttMs(), lastRttMs()); }
        /** The kernel's RTTVAR (tcpi_rttvar) when the connection ended, ms. */
        public double rttvarMs() { return Long.parseLong(fields.get("rttvar_us")) / 1000.0; }
        public long retrans() { return Long.parseLong(fields.get("total_retrans")); }
        @Override public String toString() { return fields.toString(); }
    }

    public record Result(Side client, Side server, int port) {}

    public static Result run(NetLab lab, boolean ipv6, int port, Spec spec, Duration timeout) {
        return run(lab, lab.addrB(ipv6), port, spec, timeout);
    }

    /** As above, to one of ns b's addresses ({@code serverAddr}; the lab's own, or one a test added). */
    public static Result run(NetLab lab, String serverAddr, int port, Spec spec, Duration timeout) {
        Path tcpLoad = LabTools.binary("tcp-load");
        String secs = Long.toString(Math.max(1, timeout.toSeconds()));
        Path srvOut = lab.workDir().resolve("server-" + port + ".out");
        List<String> server = new ArrayList<>(List.of(tcpLoad.toString(), "server", "-b", serverAddr,
                "-p", Integer.toString(port), "-T", secs));
        List<String> client = new ArrayList<>(List.of(tcpLoad.toString(), "client", "-c", serverAddr,
                "-p", Integer.toString(port), "-m", spec.mode(), "-T", secs));
        if (spec.sockBuf() > 0) {
            server.addAll(List.of("-w", Integer.toString(spec.sockBuf())));
            client.addAll(List.of("-w", Integer.toString(spec.sockBuf())));
        }
        if (spec.mode().equals("bulk")) {
            client.addAll(List.of("-n", Long.toString(spec.count())));
        } else {
            client.addAll(List.of("-k", Long.toString(spec.count()), "-s", Integer.toString(spec.reqBytes()),
                    "-r", Integer.toString(spec.respBytes()), "-t", Integer.toString(spec.thinkMs())));
        }
        Process srv = lab.spawn(lab.nsB(), srvOut, server);
        Cmd.awaitOutput(srv, srvOut, "READY", Duration.ofSeconds(5), "tcp-load server");
        Cmd.Result cr = lab.exec(lab.nsA(), timeout.plusSeconds(5), client).requireSuccess();
        try {
            if (!srv.waitFor(5, TimeUnit.SECONDS)) throw new IllegalStateException("tcp-load server did not finish");
            return new Result(parse(cr.stdout(), "client"), parse(Files.readString(srvOut), "server"), port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + srvOut + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Side parse(String output, String role) {
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT role=" + role)) {
                Map<String, String> m = new HashMap<>();
                for (String kv : line.substring(7).trim().split("\\s+")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) m.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                return new Side(m);
            }
        }
        throw new IllegalStateException("tcp-load " + role + " printed no RESULT line:\n" + output);
    }
}
