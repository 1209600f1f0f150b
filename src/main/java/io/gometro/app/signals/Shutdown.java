package io.gometro.app.signals;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's stop request. SIGTERM, SIGINT, SIGHUP and SIGQUIT all ask for a clean
 * stop (a last flush, then exit 0), as go-metro did.
 *
 * <p>Under the launcher the four are blocked in every thread (lib/sigblock, -Xrs) and
 * one daemon thread takes them with sigtimedwait ({@link StopSignals}); that is how
 * SIGQUIT is ours rather than the JVM's thread dump. Started any other way (plain
 * {@code java -cp}, tests) the JVM's sun.misc.Signal handlers serve TERM, INT and HUP.
 */
public final class Shutdown {
    private static final Logger LOG = LogManager.getLogger(Shutdown.class);
    private static final String[] SIGNALS = {"TERM", "INT", "HUP", "QUIT"};

    private final CountDownLatch latch = new CountDownLatch(1);
    private volatile boolean requested;
    private volatile String reason;

    public boolean requested() { return requested; }

    /** Why a stop was requested ("received SIGTERM", "a capture failed"...); null if none was, or only {@link #stop()}. */
    public String reason() { return reason; }

    public void request(String why) {
        if (requested) return;
        requested = true;
        reason = why;
        LOG.info("{}: stopping after a last flush", why);
        latch.countDown();
    }

    /** Stops the captures without a log line, for exits whose reason is already logged. */
    public void stop() {
        requested = true;
        latch.countDown();
    }

    /** Waits up to {@code millis} for a stop request; true if one came. */
    public boolean await(long millis) throws InterruptedException {
        return latch.await(millis, TimeUnit.MILLISECONDS);
    }

    public void installSignalHandlers() {
        if (StopSignals.blockedInThisThread()) {
            try {
                StopSignals.Waiter waiter = new StopSignals.Waiter();
                Thread t = new Thread(() -> takeSignals(waiter), "signals");
                t.setDaemon(true); // parked in sigtimedwait; must not hold the JVM up at exit
                t.start();
                return;
            } catch (Throwable e) {
                // Blocked yet no waiter: the signals would only pile up, so say so loudly.
                LOG.error("cannot wait for stop signals ({}); SIGTERM will not stop go-metro, use SIGKILL", e.toString());
                return;
            }
        }
        for (String name : SIGNALS) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> request("received SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                // The JVM keeps SIGQUIT for thread dumps (and with -Xrs refuses all four).
                LOG.debug("SIG{} stays with the JVM: {}", name, e.getMessage());
            }
        }
    }

    private void takeSignals(StopSignals.Waiter waiter) {
        try {
            while (true) {
                int sig = waiter.take(3_600_000);
                if (sig > 0) request("received " + StopSignals.name(sig));
            }
        } catch (Throwable e) {
            LOG.error("stop signals can no longer be taken: {}", e.toString());
        }
    }
}
