package io.gometro.app;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's stop request. SIGTERM, SIGINT, SIGHUP and SIGQUIT all ask for a clean
 * stop (a last flush, then exit 0), as go-metro did. HotSpot refuses a Java handler for
 * SIGQUIT (its thread dump) with or without -Xrs, and -Xrs makes it refuse TERM, INT and HUP
 * too; so the JVM must run without -Xrs, and QUIT stays the JVM's unless the launcher
 * forwards it (DaemonLifecycleIT has the disabled QUIT case).
 */
final class Shutdown {
    private static final Logger LOG = LogManager.getLogger(Shutdown.class);
    private static final String[] SIGNALS = {"TERM", "INT", "HUP", "QUIT"};

    private final CountDownLatch latch = new CountDownLatch(1);
    private volatile boolean requested;

    boolean requested() { return requested; }

    void request(String why) {
        if (requested) return;
        requested = true;
        LOG.info("{}: stopping after a last flush", why);
        latch.countDown();
    }

    /** Stops the captures without a log line, for exits whose reason is already logged. */
    void stop() {
        requested = true;
        latch.countDown();
    }

    /** Waits up to {@code millis} for a stop request; true if one came. */
    boolean await(long millis) throws InterruptedException {
        return latch.await(millis, TimeUnit.MILLISECONDS);
    }

    void installSignalHandlers() {
        for (String name : SIGNALS) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> request("received SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                // The JVM keeps SIGQUIT for thread dumps (and with -Xrs refuses all four).
                LOG.debug("SIG{} stays with the JVM: {}", name, e.getMessage());
            }
        }
    }
}
