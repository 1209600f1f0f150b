package io.gometro.app.daemon;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes ps show {@code go-metro -cfg=...} instead of the JVM's long command line
 * (issue 3: operators and Agent v5 look for the program as documented).
 *
 * <p>/proc/PID/cmdline, which ps and pgrep -f read, is the memory between the
 * process's arg_start and arg_end (fields 48 and 49 of /proc/self/stat, Linux >= 3.5).
 * We overwrite that memory in place with "go-metro\0ARG\0...", NUL-padded to its
 * end: the new text is always shorter than the java command line it replaces, the
 * last byte stays NUL (so the kernel keeps reporting exactly that range, not the
 * setproctitle mode that reads on into the environment), and ps/pgrep drop the
 * trailing NULs. The JVM keeps its own copies of its arguments, so nothing reads
 * the old text afterwards. Cosmetic: any failure is logged at DEBUG and ignored.
 */
public final class ProcessTitle {
    private static final Logger LOG = LogManager.getLogger(ProcessTitle.class);

    private ProcessTitle() {}

    /** Rewrites our command line as {@code name args...}; false (and a DEBUG line) if it cannot. */
    static boolean set(String name, List<String> args) {
        try {
            long[] range = argRange(Files.readString(Path.of("/proc/self/stat")));
            byte[] title = title(name, args);
            long len = range[1] - range[0];
            if (range[0] == 0 || len <= 0) {
                LOG.debug("process title unchanged: /proc/self/stat gives no argument range");
                return false;
            }
            if (title.length >= len) {
                LOG.debug("process title unchanged: {} bytes do not fit in the {} of the command line", title.length, len);
                return false;
            }
            MemorySegment area = MemorySegment.ofAddress(range[0]).reinterpret(len);
            MemorySegment.copy(MemorySegment.ofArray(title), 0, area, 0, title.length);
            area.asSlice(title.length).fill((byte) 0);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.debug("process title unchanged: {}", e.toString());
            return false;
        }
    }

    /** "name\0arg1\0arg2\0": argv as the kernel lays it out. */
    static byte[] title(String name, List<String> args) {
        StringBuilder b = new StringBuilder(name).append('\0');
        for (String a : args) b.append(a).append('\0');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * arg_start and arg_end from a /proc/PID/stat line. The command name (field 2) is in
     * parentheses and may itself hold spaces and ')', so fields are counted after the last ')'.
     */
    static long[] argRange(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IllegalArgumentException("no ')' in /proc/self/stat");
        String[] f = stat.substring(close + 1).trim().split(" +");
        // f[0] is field 3 (state), so field n is f[n - 3]
        if (f.length < 49 - 2) throw new IllegalArgumentException("/proc/self/stat has " + (f.length + 2) + " fields, need 49 (Linux >= 3.5)");
        return new long[] {Long.parseUnsignedLong(f[48 - 3]), Long.parseUnsignedLong(f[49 - 3])};
    }
}
