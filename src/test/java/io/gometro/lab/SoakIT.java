package io.gometro.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short soak CI runs (60 s; -Dsoak.seconds=N for another length; scripts/soak runs the 10-minute one): the same
 * run and the same checks as {@link Soak}, which prints the figures.
 */
class SoakIT {
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void theDaemonStaysFlatAndCorrectUnderSteadyTraffic() {
        Assumptions.assumeTrue(LabTools.canRunLab(), "the lab needs root, ip, ethtool and gcc");
        Assumptions.assumeTrue(Files.isExecutable(LabTools.targetDir().resolve("go-metro/bin/go-metro")), "needs mvn package");
        Soak.Report r = Soak.run(Duration.ofSeconds(Integer.getInteger("soak.seconds", 60)));
        System.out.print(r.summary());
        assertTrue(r.ok(), r.summary());
    }
}
