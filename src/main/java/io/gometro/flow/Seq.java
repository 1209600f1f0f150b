package io.gometro.flow;

/** TCP sequence-number comparisons modulo 2^32 (RFC 793 section 3.3). */
final class Seq {
    private Seq() {}
    static boolean before(int a, int b) { return a - b < 0; }
    static boolean after(int a, int b) { return a - b > 0; }
}
