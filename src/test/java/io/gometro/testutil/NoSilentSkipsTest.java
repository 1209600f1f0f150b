package io.gometro.testutil;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** The switch turns an assumption's abort into a failure, and leaves everything else as it was. */
class NoSilentSkipsTest {
    @Test
    void withTheSwitchASkipFailsAndWithoutItStaysASkip() {
        String was = System.getProperty(NoSilentSkips.SWITCH);
        try {
            TestAbortedException skip = new TestAbortedException("Assumption failed: the lab needs root");
            System.setProperty(NoSilentSkips.SWITCH, "true");
            Throwable t = NoSilentSkips.failIfSkip(skip);
            assertInstanceOf(AssertionError.class, t);
            assertTrue(t.getMessage().contains("the lab needs root") && t.getMessage().contains("scripts/setup"), t.getMessage());
            AssertionError real = new AssertionError("a real failure");
            assertSame(real, NoSilentSkips.failIfSkip(real), "other failures pass through unchanged");
            System.setProperty(NoSilentSkips.SWITCH, "false");
            assertSame(skip, NoSilentSkips.failIfSkip(skip), "without the switch a skip stays a skip");
        } finally {
            if (was == null) System.clearProperty(NoSilentSkips.SWITCH); else System.setProperty(NoSilentSkips.SWITCH, was);
        }
    }

    @Test
    void theSwitchIsOnUnderTheReadmesTestCommand() {
        // scripts/test passes -Dgometro.noSkips=true; CI runs scripts/test. Elsewhere (a developer's mvn test)
        // this says so instead of passing blind.
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("gometro.suite"),
                "not run through scripts/test");
        assertTrue(Boolean.getBoolean(NoSilentSkips.SWITCH), "scripts/test must forbid silent skips");
    }
}
