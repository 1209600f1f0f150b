package io.gometro.app.pipeline;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The warm-up really drives the sample path: every synthetic exchange yields its 20 ms sample. */
class WarmupTest {
    @Test
    void everyExchangeIsSampled() {
        assertEquals(3_000, Warmup.run(3_000));
    }
}
