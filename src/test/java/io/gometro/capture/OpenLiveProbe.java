package io.gometro.capture;

/**
 * Run in a child JVM by {@link CaptureLiveIT} with CAP_NET_RAW dropped: opens a live
 * handle and prints {@code OPENED} or {@code permission=<bool> <message>}.
 */
public final class OpenLiveProbe {
    public static void main(String[] args) {
        try (PacketSource h = PacketSource.live(args[0], 512, 200, 0)) {
            System.out.println("OPENED " + h.linkType());
        } catch (CaptureException e) {
            System.out.println("permission=" + e.isPermission() + " " + e.getMessage());
        }
    }
}
