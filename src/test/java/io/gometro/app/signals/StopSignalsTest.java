package io.gometro.app.signals;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The blocked-set detection and the sigtimedwait loop, with real signals. Everything
 * happens in a fresh thread whose mask dies with it, and the signals are raised
 * thread-directed (raise(3) is tgkill on the calling thread), so nothing reaches the
 * test JVM's own handlers. The process-wide path (lib/sigblock, -Xrs, kill -PID) is
 * DaemonSignalsIT's.
 */
class StopSignalsTest {
    private static final MethodHandle RAISE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("raise"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    @Test
    void ffmReachesLibc() {
        assertNull(StopSignals.unavailable());
    }

    @Test
    void aPlainJvmThreadDoesNotHaveThemBlocked() {
        // HotSpot without -Xrs unblocks TERM/INT/HUP in its threads: the sun.misc.Signal fallback applies.
        assertFalse(StopSignals.blockedInThisThread());
    }

    @Test
    void blockedSignalsAreDetectedAndTakenOneByOne() throws Throwable {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                StopSignals.setBlockedInThisThread(true);
                // Guard: raising an unblocked SIGHUP would start the test JVM's shutdown.
                assertTrue(StopSignals.blockedInThisThread(), "all four blocked after sigprocmask(SIG_BLOCK)");
                StopSignals.Waiter w = new StopSignals.Waiter();

                long t0 = System.nanoTime();
                assertEquals(0, w.take(150), "nothing pending: times out");
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waited >= 100 && waited < 2_000, "waited " + waited + " ms for a 150 ms timeout");

                for (int sig : StopSignals.ALL) {
                    assertEquals(0, (int) RAISE.invokeExact(sig));
                    assertEquals(sig, w.take(1_000), StopSignals.name(sig));
                }
                // Two pending at once come out one per call, lowest number first (Linux).
                assertEquals(0, (int) RAISE.invokeExact(StopSignals.SIGTERM));
                assertEquals(0, (int) RAISE.invokeExact(StopSignals.SIGINT));
                assertEquals(StopSignals.SIGINT, w.take(1_000));
                assertEquals(StopSignals.SIGTERM, w.take(1_000));
                assertEquals(0, w.take(10));

                StopSignals.setBlockedInThisThread(false);
                assertFalse(StopSignals.blockedInThisThread(), "unblocked again");
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "stop-signals-test");
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive());
        if (failure.get() != null) throw failure.get();
    }

    @Test
    void names() {
        assertEquals("SIGHUP", StopSignals.name(1));
        assertEquals("SIGINT", StopSignals.name(2));
        assertEquals("SIGQUIT", StopSignals.name(3));
        assertEquals("SIGTERM", StopSignals.name(15));
        assertEquals("signal 10", StopSignals.name(10));
    }
}
