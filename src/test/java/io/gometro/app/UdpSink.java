package io.gometro.app;

import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A DogStatsD stand-in for the daemon ITs, run inside a test namespace with `ip netns exec NS java -cp
 * target/test-classes io.gometro.app.UdpSink PORT [noread]`: a real UDP socket on 127.0.0.1:PORT that prints
 * every line of every datagram to stdout ("READY" once bound). With {@code noread} it binds with a tiny receive
 * buffer and never reads, so the buffer fills: the "slow DogStatsD" fault.
 *
 * <p>A separate process because the daemon's loopback is the namespace's, which the test JVM cannot bind into.
 */
public final class UdpSink {
    private UdpSink() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        boolean noRead = args.length > 1 && args[1].equals("noread");
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try (DatagramSocket s = new DatagramSocket(null)) {
            if (noRead) s.setReceiveBufferSize(1024);
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            out.println("READY port=" + port + " rcvbuf=" + s.getReceiveBufferSize());
            out.flush();
            if (noRead) {
                Thread.sleep(Long.MAX_VALUE);
                return;
            }
            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            while (true) {
                p.setLength(buf.length);
                s.receive(p);
                String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                for (String line : text.split("\n")) if (!line.isEmpty()) out.println(line);
                out.flush();
            }
        }
    }
}
