package io.gometro.report;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real UDP socket on 127.0.0.1 (ephemeral port) that parses the DogStatsD lines it receives. */
final class UdpStatsd implements AutoCloseable {
    /** One received gauge: {@code name:value|g|#tag1,tag2}. */
    record Gauge(String name, double value, Set<String> tags) {}

    private final DatagramSocket socket;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    /** Service checks ({@code _sc|name|status|...}), kept apart from the gauges. */
    private final LinkedBlockingQueue<String> checks = new LinkedBlockingQueue<>();
    private final Thread reader;

    UdpStatsd() throws Exception {
        this(0);
    }

    /**
     * @param receiveBuffer bytes of kernel receive buffer, or 0 for the default (~208 KiB). A flush
     *        of thousands of pairs is ~600 datagrams sent in a few ms: with the default buffer, a
     *        reader thread that is not scheduled for a moment loses some. As root, net.core.rmem_max
     *        is raised just long enough to size this socket, then put back.
     */
    UdpStatsd(int receiveBuffer) throws Exception {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        if (receiveBuffer > 0) {
            Path max = Path.of("/proc/sys/net/core/rmem_max");
            String old;
            // Not Files.readString: procfs reports a size of 0, and it returned only the first byte.
            try (var in = Files.newInputStream(max)) {
                old = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
            }
            boolean raised = false;
            try {
                if (Long.parseLong(old) < receiveBuffer) {
                    Files.writeString(max, Integer.toString(receiveBuffer));
                    raised = true;
                }
            } catch (java.io.IOException notRoot) {
                // keep the system's limit; the socket gets what it allows
            }
            try {
                socket.setReceiveBufferSize(receiveBuffer);
            } finally {
                if (raised) Files.writeString(max, old);
            }
        }
        socket.setSoTimeout(100);
        reader = new Thread(this::read, "test-udp-statsd");
        reader.setDaemon(true);
        reader.start();
    }

    /** What the kernel gave the socket (it reports twice the size asked for, for its own overhead). */
    int receiveBuffer() throws java.net.SocketException {
        return socket.getReceiveBufferSize();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void read() {
        byte[] buf = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (Exception e) {
                return;
            }
            String s = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            for (String line : s.split("\n")) {
                if (line.startsWith("_sc|")) checks.add(line);
                else if (!line.isEmpty()) lines.add(line);
            }
        }
    }

    static Gauge parse(String line) {
        String[] parts = line.split("\\|");
        if (parts.length < 2 || !parts[1].equals("g")) throw new AssertionError("not a gauge: " + line);
        int colon = parts[0].lastIndexOf(':');
        Set<String> tags = new TreeSet<>();
        for (int i = 2; i < parts.length; i++) {
            if (!parts[i].startsWith("#")) throw new AssertionError("unexpected field '" + parts[i] + "' in " + line);
            tags.addAll(Arrays.asList(parts[i].substring(1).split(",")));
        }
        return new Gauge(parts[0].substring(0, colon), Double.parseDouble(parts[0].substring(colon + 1)), tags);
    }

    /** Waits (at most 5 s) until {@code n} gauges have arrived; returns them. */
    List<Gauge> await(int n) throws InterruptedException {
        List<Gauge> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (got.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("got " + got.size() + " gauges of " + n + ": " + got);
            String l = lines.poll(left, TimeUnit.NANOSECONDS);
            if (l != null) got.add(parse(l));
        }
        return got;
    }

    /** Everything that arrives within {@code millis}. */
    List<Gauge> drain(long millis) throws InterruptedException {
        List<Gauge> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            String l = lines.poll(left, TimeUnit.NANOSECONDS);
            if (l != null) got.add(parse(l));
        }
        return got;
    }

    /** Service check lines that arrive within {@code millis} (or all of them, once one has). */
    List<String> serviceChecks(long millis) throws InterruptedException {
        List<String> got = new ArrayList<>();
        String first = checks.poll(millis, TimeUnit.MILLISECONDS);
        if (first == null) return got;
        got.add(first);
        Thread.sleep(100);
        checks.drainTo(got);
        return got;
    }

    static Gauge only(List<Gauge> gs, Predicate<Gauge> p) {
        List<Gauge> m = gs.stream().filter(p).toList();
        if (m.size() != 1) throw new AssertionError("expected exactly one match, got " + m + " in " + gs);
        return m.get(0);
    }

    @Override
    public void close() throws Exception {
        socket.close();
        reader.join(2000);
    }
}
