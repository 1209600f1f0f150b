package io.gometro.capture;

import io.gometro.decode.LinkType;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Live captures on the loopback interface with real libpcap (needs CAP_NET_RAW, i.e. root here).
 * Traffic stays on 127.0.0.1; each test filters on its own ephemeral port.
 */
class CaptureLiveIT {
    static final byte[] MARKER = "go-metro-capture-live-test".getBytes(StandardCharsets.US_ASCII);

    /** Counts packets and finds the marker in captured payloads (proves data offsets are right). */
    static final class Live implements PacketHandler {
        volatile long packets, idles, lastTs;
        volatile boolean sawMarker;

        @Override public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
            packets++;
            lastTs = tsNanos;
            outer:
            for (int i = 0; i + MARKER.length <= caplen; i++) {
                for (int j = 0; j < MARKER.length; j++) {
                    if (seg.get(ValueLayout.JAVA_BYTE, offset + i + j) != MARKER[j]) continue outer;
                }
                sawMarker = true;
                return true;
            }
            return true;
        }
    }

    /** loop() until it ends for another reason than a quiet read timeout, counting those as idles. */
    static PacketSource.End loopThrough(PacketSource h, Live live, java.util.function.BooleanSupplier stop) {
        for (;;) {
            PacketSource.End end = h.loop(live, stop);
            if (end != PacketSource.End.YIELD) return end;
            live.idles++;
        }
    }

    @Test void capturesATcpConversationOnLoopback() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             PacketSource h = PacketSource.live("lo", 512, 200, 4 << 20)) {
            int port = server.getLocalPort();
            h.setFilter("tcp port " + port);
            assertTrue(h.isLive());
            assertEquals(LinkType.ETHERNET, h.linkType(), "Linux loopback is DLT_EN10MB");

            Live live = new Live();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            AtomicBoolean done = new AtomicBoolean();
            // Stop once the handshake, the data and its ACK are in (or at the deadline).
            CompletableFuture<PacketSource.End> loop = CompletableFuture.supplyAsync(() -> loopThrough(h, live,
                    () -> done.get() || (live.sawMarker && live.packets >= 5) || System.nanoTime() > deadline));

            long before = System.currentTimeMillis();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                 Socket accepted = server.accept()) {
                OutputStream out = client.getOutputStream();
                out.write(MARKER);
                out.flush();
                InputStream in = accepted.getInputStream();
                assertArrayEquals(MARKER, in.readNBytes(MARKER.length));
            }
            PacketSource.End end = loop.get(15, TimeUnit.SECONDS);
            done.set(true);
            assertEquals(PacketSource.End.STOPPED, end, () -> String.valueOf(h.lastError()));
            assertTrue(live.sawMarker, "the payload bytes were captured at the handed offset");
            assertTrue(live.packets >= 5, "SYN, SYN-ACK, ACK, data, ACK: got " + live.packets);
            long tsMillis = live.lastTs / 1_000_000;
            assertTrue(tsMillis >= before - 1000 && tsMillis <= System.currentTimeMillis() + 1000,
                    "live timestamps are epoch ns (µs precision scaled): " + live.lastTs);
            PacketSource.Stats s = h.stats();
            assertTrue(s.received() >= 1, "pcap_stats counts what passed the filter: " + s);
            assertTrue(s.dropped() >= 0 && s.ifDropped() >= 0);
        }
    }

    @Test void stopReturnsWithinTheReadTimeoutOnAQuietLink() throws Exception {
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             PacketSource h = PacketSource.live("lo", 512, 250, 0)) {
            h.setFilter("tcp port " + unused.getLocalPort()); // nothing will match
            Live live = new Live();
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<PacketSource.End> loop = CompletableFuture.supplyAsync(() -> loopThrough(h, live, stop::get));
            Thread.sleep(900);
            long t0 = System.nanoTime();
            stop.set(true);
            PacketSource.End end = loop.get(10, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(PacketSource.End.STOPPED, end);
            // Read timeout 250 ms: stop is seen within one timeout; 2 s is a generous bound for a loaded machine.
            assertTrue(tookMs < 2000, "loop returned " + tookMs + " ms after stop");
            System.out.println("CaptureLiveIT: loop returned " + tookMs + " ms after stop (read timeout 250 ms), "
                    + live.idles + " idle calls in 0.9 s");
            assertTrue(live.idles >= 1, "a quiet read timeout returns YIELD: " + live.idles);
            assertEquals(0, live.packets);
        }
    }

    /** close() from another thread while the loop reads must fail cleanly, never free the pcap_t under it. */
    @Test void closeDuringALoopIsRefused() throws Exception {
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             PacketSource h = PacketSource.live("lo", 512, 300, 0)) {
            h.setFilter("tcp port " + unused.getLocalPort());
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<PacketSource.End> loop = CompletableFuture.supplyAsync(() -> loopThrough(h, new Live(), stop::get));
            Thread.sleep(400);
            // The reader spends nearly all its time inside poll/pcap_next_ex; retry until we hit it there.
            boolean refused = false;
            for (int i = 0; i < 50 && !refused; i++) {
                try {
                    h.close();
                    break;
                } catch (IllegalStateException expected) {
                    refused = true;
                }
            }
            stop.set(true);
            PacketSource.End end = loop.get(10, TimeUnit.SECONDS);
            assertTrue(refused, "close was refused while the loop was inside a native read");
            assertEquals(PacketSource.End.STOPPED, end);
        }
    }

    /** The interface vanishing under a live capture ends the loop with ERROR and libpcap's reason. */
    @Test void vanishingInterfaceIsAnError() throws Exception {
        String a = "gmcap" + Long.toHexString(System.nanoTime() & 0xfffff), b = a + "p";
        assertEquals(0, run("ip", "link", "add", a, "type", "veth", "peer", "name", b));
        try {
            assertEquals(0, run("ip", "link", "set", a, "up"));
            assertEquals(0, run("ip", "link", "set", b, "up"));
            try (PacketSource h = PacketSource.live(a, 512, 200, 0)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                CompletableFuture<PacketSource.End> loop = CompletableFuture.supplyAsync(
                        () -> loopThrough(h, new Live(), () -> System.nanoTime() > deadline));
                Thread.sleep(300);
                assertEquals(0, run("ip", "link", "del", a));
                PacketSource.End end = loop.get(15, TimeUnit.SECONDS);
                assertEquals(PacketSource.End.ERROR, end, "loop must report the vanished interface");
                String err = h.lastError();
                assertNotNull(err);
                assertTrue(err.contains("interface " + a), err);
                System.out.println("CaptureLiveIT: vanished interface -> " + err);
            }
        } finally {
            run("ip", "link", "del", a); // already gone on success; cleans up on failure
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    @Test void nonexistentInterfaceIsNamed() {
        CaptureException e = assertThrows(CaptureException.class,
                () -> PacketSource.live("gmnosuch0", 512, 200, 0));
        assertTrue(e.getMessage().contains("gmnosuch0"), e.getMessage());
        assertTrue(e.getMessage().contains("no such interface"), e.getMessage());
        assertFalse(e.isPermission());
    }

    @Test void zeroReadTimeoutIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PacketSource.live("lo", 512, 0, 0));
    }

    /** Without CAP_NET_RAW (dropped with setpriv in a child JVM) the error says so and is flagged. */
    @Test void missingCapNetRawIsAPermissionError() throws Exception {
        Path setpriv = Path.of("/usr/bin/setpriv");
        assumeTrue(Files.isExecutable(setpriv), "needs util-linux setpriv");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(setpriv.toString(),
                "--inh-caps=-net_raw,-net_admin", "--bounding-set=-net_raw,-net_admin",
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                OpenLiveProbe.class.getName(), "lo"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "probe finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String line = out.lines().filter(l -> l.startsWith("permission=") || l.startsWith("OPENED"))
                .findFirst().orElse(out);
        assertTrue(line.startsWith("permission=true "), out);
        assertTrue(line.contains("interface lo") && line.contains("CAP_NET_RAW"), line);
    }
}
