package io.gometro.lab;

import io.gometro.testutil.NoSilentSkips;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.*;

/** A lab that cannot start is a skip, and under the no-silent-skips switch a failure, as in a lifecycle method. */
class LabExtensionTest {
    @Test
    void aLabThatCannotStartFollowsTheNoSilentSkipsRule() {
        String was = System.getProperty(NoSilentSkips.SWITCH);
        try {
            System.setProperty(NoSilentSkips.SWITCH, "true");
            AssertionError e = assertThrows(AssertionError.class,
                    () -> LabExtension.start(() -> { throw new TestAbortedException("the lab needs root"); }));
            assertTrue(e.getMessage().contains("the lab needs root"), e.getMessage());
            System.setProperty(NoSilentSkips.SWITCH, "false");
            assertThrows(TestAbortedException.class,
                    () -> LabExtension.start(() -> { throw new TestAbortedException("the lab needs root"); }));
        } finally {
            if (was == null) System.clearProperty(NoSilentSkips.SWITCH); else System.setProperty(NoSilentSkips.SWITCH, was);
        }
    }
}
