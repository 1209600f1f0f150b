package io.gometro.flow;

/**
 * Which endpoints are "us". Only flows whose sender is local are measured.
 * Addresses use the two-long form of {@link io.gometro.decode.PacketView}.
 */
@FunctionalInterface
public interface LocalPolicy {
    boolean isLocal(long hi, long lo);

    /** Analysis without -local: every side that sends data is measured. */
    static LocalPolicy everyone() { return (hi, lo) -> true; }

    /** Exactly these addresses (pairs hi0, lo0, hi1, lo1, ...). */
    static LocalPolicy of(long[] pairs) {
        long[] a = pairs.clone();
        return (hi, lo) -> {
            for (int i = 0; i < a.length; i += 2) if (a[i] == hi && a[i + 1] == lo) return true;
            return false;
        };
    }

    /** Everything but these addresses: replaying a file, where only the peers are known. */
    static LocalPolicy allBut(long[] pairs) {
        LocalPolicy peers = of(pairs);
        return (hi, lo) -> !peers.isLocal(hi, lo);
    }
}
