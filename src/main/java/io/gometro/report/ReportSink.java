package io.gometro.report;

/**
 * Where a flush's {@link PairReport} goes: DogStatsD ({@link StatsdReporter}), the status file
 * ({@link StatusBoard.Slot}), the console ({@link ConsoleReport}). Called on the capture thread,
 * once per flush; a sink never blocks capture for long and never throws.
 */
public interface ReportSink {
    void accept(PairReport report);
}
