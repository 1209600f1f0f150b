package io.gometro.capture;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;

import java.lang.reflect.Field;

/**
 * Everything pcap4j does for a live handle: open and configure it, compile filters,
 * read statistics and errors, close it. Kept apart from {@link LibpcapSource} so that
 * offline handles (analysis mode, file replays) never load pcap4j, JNA or the logging
 * pcap4j drags in through slf4j: this class is loaded only when a live capture opens.
 */
final class Pcap4jLive {
    /** pcap_activate's PCAP_ERROR_NO_SUCH_DEVICE and PCAP_ERROR_PERM_DENIED. */
    private static final int PCAP_ERROR_NO_SUCH_DEVICE = -5, PCAP_ERROR_PERM_DENIED = -8;

    private static final Field HANDLE_POINTER;

    static {
        // pcap4j keeps its pcap_t* in a private JNA Pointer; on the class path reflection can read it.
        try {
            HANDLE_POINTER = PcapHandle.class.getDeclaredField("handle");
            HANDLE_POINTER.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("pcap4j PcapHandle.handle not accessible: " + e);
        }
    }

    private final PcapHandle h;
    /** The pcap_t* pcap4j holds, as a native address. */
    final long pcapT;
    final int linkType;

    private Pcap4jLive(PcapHandle h) {
        this.h = h;
        try {
            this.pcapT = com.sun.jna.Pointer.nativeValue((com.sun.jna.Pointer) HANDLE_POINTER.get(h));
        } catch (IllegalAccessException e) {
            h.close();
            throw new IllegalStateException("cannot read pcap4j's pcap_t pointer", e);
        }
        this.linkType = h.getDlt().value();
    }

    static Pcap4jLive open(String iface, int snaplen, int readTimeoutMillis, int bufferBytes) throws CaptureException {
        PcapHandle.Builder b = new PcapHandle.Builder(iface)
                .snaplen(snaplen)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(readTimeoutMillis);
        if (bufferBytes > 0) b.bufferSize(bufferBytes);
        try {
            return new Pcap4jLive(b.build());
        } catch (PcapNativeException e) {
            throw liveFailure(iface, e);
        }
    }

    private static CaptureException liveFailure(String iface, PcapNativeException e) {
        String msg = String.valueOf(e.getMessage()).strip();
        Integer rc = e.getReturnCode();
        String lower = msg.toLowerCase();
        if ((rc != null && rc == PCAP_ERROR_PERM_DENIED) || lower.contains("operation not permitted")
                || lower.contains("permission")) {
            // systemd sets INVOCATION_ID for the services it starts: there the unit grants the capability.
            String fix = System.getenv("INVOCATION_ID") != null
                    ? "the systemd unit must grant it with AmbientCapabilities=CAP_NET_RAW (see `systemctl cat go-metro`"
                    + " for a drop-in that removes it)"
                    : "run as root, or setcap cap_net_raw+ep on the java binary it runs with";
            return new CaptureException("cannot capture on interface " + iface + ": permission denied (" + msg
                    + "); go-metro needs the CAP_NET_RAW capability (" + fix + ")", true);
        }
        if ((rc != null && rc == PCAP_ERROR_NO_SUCH_DEVICE) || lower.contains("no such device")) {
            return new CaptureException("cannot capture on interface " + iface
                    + ": no such interface (check `interface:` in the config; `ip link` lists them)", false);
        }
        return new CaptureException("cannot capture on interface " + iface + ": " + msg, false);
    }

    void setNonBlocking() throws PcapNativeException, NotOpenException {
        h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
    }

    void setFilter(String bpf, String source) throws CaptureException {
        try {
            h.setFilter(bpf, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException e) {
            throw new CaptureException("invalid capture filter \"" + bpf + "\" on " + source + ": "
                    + String.valueOf(e.getMessage()).strip(), false);
        } catch (NotOpenException e) {
            throw new IllegalStateException(source + " is closed", e);
        }
    }

    String error() {
        try {
            return h.getError();
        } catch (NotOpenException e) {
            return "handle closed";
        }
    }

    PacketSource.Stats stats() {
        try {
            PcapStat s = h.getStats();
            // pcap_stat fields are u_int: read them unsigned so a wrapped counter is not negative.
            return new PacketSource.Stats(s.getNumPacketsReceived() & 0xffff_ffffL,
                    s.getNumPacketsDropped() & 0xffff_ffffL, s.getNumPacketsDroppedByIf() & 0xffff_ffffL);
        } catch (PcapNativeException | NotOpenException e) {
            return new PacketSource.Stats(0, 0, 0);
        }
    }

    void close() { h.close(); }
}
