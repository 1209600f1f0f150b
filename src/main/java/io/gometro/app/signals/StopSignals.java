package io.gometro.app.signals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * SIGHUP, SIGINT, SIGQUIT and SIGTERM taken synchronously, with sigtimedwait(2).
 *
 * <p>Why: HotSpot keeps SIGQUIT for thread dumps, and with -Xrs it refuses
 * sun.misc.Signal handlers for all four. So the launcher starts the JVM through
 * lib/sigblock, which blocks the four signals before execve; the blocked mask is
 * inherited by every thread the JVM creates, and with -Xrs HotSpot neither
 * handles nor unblocks them. A process-directed signal then stays pending until
 * one thread takes it with sigtimedwait. No Java code runs in a signal handler.
 *
 * <p>Linux only (signal numbers, SIG_BLOCK values, and glibc/musl's 128-byte
 * sigset_t; the kernel reads only the first 8 bytes). The set is built by libc's
 * sigemptyset/sigaddset, so its bit layout is libc's business.
 * sigprocmask rather than pthread_sigmask: before glibc 2.34 the latter lives in
 * libpthread, which the default lookup may not see; on Linux sigprocmask acts on
 * the calling thread only, which is what we want.
 */
public final class StopSignals {
    static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGTERM = 15;
    static final int[] ALL = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

    private static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1;
    private static final int EINTR = 4, EAGAIN = 11;
    private static final long SIGSET_BYTES = 128, SIGINFO_BYTES = 128;

    private static final MethodHandle SIGEMPTYSET, SIGADDSET, SIGISMEMBER, SIGPROCMASK, SIGTIMEDWAIT;
    private static final StructLayout CALL_STATE;
    private static final VarHandle ERRNO;
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle empty = null, add = null, member = null, mask = null, wait = null;
        StructLayout state = null;
        VarHandle errno = null;
        Throwable why = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            ValueLayout p = ValueLayout.ADDRESS;
            empty = linker.downcallHandle(libc.findOrThrow("sigemptyset"), FunctionDescriptor.of(i, p));
            add = linker.downcallHandle(libc.findOrThrow("sigaddset"), FunctionDescriptor.of(i, p, i));
            member = linker.downcallHandle(libc.findOrThrow("sigismember"), FunctionDescriptor.of(i, p, i));
            mask = linker.downcallHandle(libc.findOrThrow("sigprocmask"), FunctionDescriptor.of(i, i, p, p));
            state = Linker.Option.captureStateLayout();
            errno = state.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
            wait = linker.downcallHandle(libc.findOrThrow("sigtimedwait"), FunctionDescriptor.of(i, p, p, p),
                    Linker.Option.captureCallState("errno"));
        } catch (Throwable t) {
            why = t;
        }
        SIGEMPTYSET = empty;
        SIGADDSET = add;
        SIGISMEMBER = member;
        SIGPROCMASK = mask;
        SIGTIMEDWAIT = wait;
        CALL_STATE = state;
        ERRNO = errno;
        UNAVAILABLE = why;
    }

    private StopSignals() {}

    /** Null when FFM can reach libc's signal functions, else why not. */
    static Throwable unavailable() { return UNAVAILABLE; }

    static String name(int sig) {
        return switch (sig) {
            case SIGHUP -> "SIGHUP";
            case SIGINT -> "SIGINT";
            case SIGQUIT -> "SIGQUIT";
            case SIGTERM -> "SIGTERM";
            default -> "signal " + sig;
        };
    }

    /** A sigset_t holding the four stop signals. */
    static MemorySegment stopSet(Arena arena) throws Throwable {
        MemorySegment set = arena.allocate(SIGSET_BYTES, 8);
        check((int) SIGEMPTYSET.invokeExact(set), "sigemptyset");
        for (int s : ALL) check((int) SIGADDSET.invokeExact(set, s), "sigaddset");
        return set;
    }

    /** True when all four are blocked in the calling thread (started by lib/sigblock). */
    public static boolean blockedInThisThread() {
        if (UNAVAILABLE != null) return false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGSET_BYTES, 8);
            check((int) SIGPROCMASK.invokeExact(SIG_BLOCK, MemorySegment.NULL, old), "sigprocmask");
            for (int s : ALL) {
                if ((int) SIGISMEMBER.invokeExact(old, s) != 1) return false;
            }
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Blocks (true) or unblocks (false) the four in the calling thread. */
    public static void setBlockedInThisThread(boolean block) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            check((int) SIGPROCMASK.invokeExact(block ? SIG_BLOCK : SIG_UNBLOCK, stopSet(arena), MemorySegment.NULL),
                    "sigprocmask");
        }
    }

    /**
     * Takes pending stop signals. Its buffers are allocated once, so waiting allocates
     * nothing. Works only for signals blocked in every thread (or, for a thread-directed
     * signal, in the waiting thread); otherwise the kernel may deliver them elsewhere.
     */
    static final class Waiter {
        private final MemorySegment set, info, timeout, callState;

        Waiter() throws Throwable {
            if (UNAVAILABLE != null) throw UNAVAILABLE;
            Arena arena = Arena.ofAuto();
            set = stopSet(arena);
            info = arena.allocate(SIGINFO_BYTES, 8);
            timeout = arena.allocate(16, 8); // struct timespec { long tv_sec; long tv_nsec; }
            callState = arena.allocate(CALL_STATE);
        }

        /** The next stop signal's number, or 0 if none came within {@code millis}. */
        int take(long millis) throws Throwable {
            timeout.set(ValueLayout.JAVA_LONG, 0, millis / 1000);
            timeout.set(ValueLayout.JAVA_LONG, 8, (millis % 1000) * 1_000_000L);
            int sig = (int) SIGTIMEDWAIT.invokeExact(callState, set, info, timeout);
            if (sig > 0) return sig;
            int errno = (int) ERRNO.get(callState, 0L);
            if (errno == EAGAIN || errno == EINTR) return 0;
            throw new IllegalStateException("sigtimedwait failed: errno " + errno);
        }
    }

    private static void check(int rc, String call) {
        if (rc != 0) throw new IllegalStateException(call + " returned " + rc);
    }
}
