// Prints every UDP datagram received on 127.0.0.1:PORT, one per line, until killed or
// SECONDS pass. The live bench uses it as the DogStatsD server the daemon reports to.
//   java scripts/bench/UdpDump.java PORT SECONDS
import java.net.*;
import java.nio.charset.StandardCharsets;

public class UdpDump {
    public static void main(String[] a) throws Exception {
        long end = System.nanoTime() + Long.parseLong(a[1]) * 1_000_000_000L;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", Integer.parseInt(a[0])))) {
            s.setSoTimeout(200);
            byte[] buf = new byte[65536];
            System.out.println("listening");
            System.out.flush();
            while (System.nanoTime() < end) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try { s.receive(p); } catch (SocketTimeoutException e) { continue; }
                System.out.println(new String(buf, 0, p.getLength(), StandardCharsets.UTF_8).strip());
                System.out.flush();
            }
        }
    }
}
