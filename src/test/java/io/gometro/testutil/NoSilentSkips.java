package io.gometro.testutil;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Under {@code -Dgometro.noSkips=true} (scripts/test sets it, so CI does) an assumption that fails (not root,
 * no lab, no strace, no packaging tool) fails the test instead of skipping it: a green run has then measured
 * everything it claims. Without the switch a developer's non-root {@code mvn test} still skips what it
 * cannot run. Registered for every test class through the service loader
 * (META-INF/services) with JUnit's extension auto-detection, which the pom turns on.
 */
public final class NoSilentSkips implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    public static final String SWITCH = "gometro.noSkips";

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw failIfSkip(t);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw failIfSkip(t);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw failIfSkip(t);
    }

    /** An assumption's abort turned into a failure that says why and what to do, when the switch is on. */
    public static Throwable failIfSkip(Throwable t) {
        if (!(t instanceof TestAbortedException) || !Boolean.getBoolean(SWITCH)) return t;
        AssertionError e = new AssertionError("would have been skipped, and -D" + SWITCH + "=true (scripts/test) "
                + "forbids silent skips: " + t.getMessage() + ". Run ./scripts/test as root on a machine set up by "
                + "scripts/setup", t);
        return e;
    }
}
