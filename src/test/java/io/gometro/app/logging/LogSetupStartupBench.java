package io.gometro.app.logging;

import io.gometro.config.LogLevel;
import org.apache.logging.log4j.LogManager;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Start-up cost of logging, in a fresh JVM (run it several times; it is not a test):
 * <pre>java -cp target/classes:target/test-classes:$(deps) io.gometro.app.LogSetupStartupBench</pre>
 * Prints JVM start → main, boot (first LogManager use, log4j init), first event, configure.
 */
public final class LogSetupStartupBench {
    public static void main(String[] args) throws Exception {
        long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        long mainAt = System.currentTimeMillis();
        long t0 = System.nanoTime();
        LogSetup.boot();
        var log = LogManager.getLogger(LogSetupStartupBench.class);
        long t1 = System.nanoTime();
        log.debug("not shown");
        long t2 = System.nanoTime();
        Path f = Files.createTempFile("go-metro-bench", ".log");
        LogSetup.Outcome o = LogSetup.configure(LogLevel.INFO, true, f);
        log.info("first line");
        long t3 = System.nanoTime();
        Files.delete(f);
        System.out.printf("jvm->main %d ms | boot %.1f ms | first event %.1f ms | configure(file) %.1f ms (+first line %.1f ms)%n",
                mainAt - jvmStart, (t1 - t0) / 1e6, (t2 - t1) / 1e6, o.elapsedNanos() / 1e6, (t3 - t2) / 1e6);
    }
}
