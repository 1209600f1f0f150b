package io.gometro.app.daemon;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parsing and layout; the rewrite itself is checked on the packaged daemon by DaemonSignalsIT. */
class ProcessTitleTest {

    @Test
    void titleIsArgvLaidOutAsTheKernelDoes() {
        assertArrayEquals("go-metro\0-cfg=/etc/dd-agent/conf.d/go-metro.yaml\0".getBytes(StandardCharsets.US_ASCII),
                ProcessTitle.title("go-metro", List.of("-cfg=/etc/dd-agent/conf.d/go-metro.yaml")));
        assertArrayEquals("go-metro\0".getBytes(StandardCharsets.US_ASCII), ProcessTitle.title("go-metro", List.of()));
    }

    @Test
    void fieldsAreCountedAfterTheLastParenthesis() {
        // A command name with spaces and ')' must not shift the fields.
        StringBuilder stat = new StringBuilder("4242 (a) b (c) S");
        for (int field = 4; field <= 52; field++) stat.append(' ').append(field == 48 ? "140737488347000" : field == 49 ? "140737488347512" : Integer.toString(field));
        long[] r = ProcessTitle.argRange(stat.append('\n').toString());
        assertEquals(140737488347000L, r[0]);
        assertEquals(140737488347512L, r[1]);
    }

    @Test
    void tooShortAStatLineIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> ProcessTitle.argRange("1 (x) S 0 1 2"));
        assertThrows(IllegalArgumentException.class, () -> ProcessTitle.argRange("garbage"));
    }

    @Test
    void theRangeFromProcSelfStatHoldsOurOwnCommandLine() throws Exception {
        long[] r = ProcessTitle.argRange(Files.readString(Path.of("/proc/self/stat")));
        byte[] cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        assertEquals(cmdline.length, r[1] - r[0], "arg_end - arg_start is the size of /proc/self/cmdline");
        byte[] mem = MemorySegment.ofAddress(r[0]).reinterpret(r[1] - r[0]).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        assertTrue(Arrays.equals(cmdline, mem), "the memory at arg_start is what /proc/self/cmdline shows");
    }
}
