package io.gometro.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How reports read as text: milliseconds with fixed decimals, JSON strings and numbers, and
 * aligned tables. Analysis mode's table and JSON lines, the console sink and the status file all
 * write through these, so a figure prints the same wherever it appears.
 */
final class ReportText {
    private ReportText() {}

    /** A figure in ms with three decimals, or "-" when unknown (NaN). */
    static String text(double nanos) {
        return Double.isNaN(nanos) ? "-" : millis(new StringBuilder(), nanos, 3).toString();
    }

    /** {@code ,"key":ms} with six decimals, or null when unknown. */
    static void jsonMs(StringBuilder sb, String key, double nanos) {
        sb.append(",\"").append(key).append("\":");
        if (Double.isNaN(nanos) || Double.isInfinite(nanos)) sb.append("null");
        else millis(sb, nanos, 6);
    }

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

    /**
     * {@code nanos} as milliseconds with {@code decimals} (3 or 6) places, rounded half up:
     * the same text as String.format("%.6f"), without parsing a format string for each of
     * the tens of thousands of numbers a big capture's report prints.
     */
    static StringBuilder millis(StringBuilder sb, double nanos, int decimals) {
        long scaled = Math.round(nanos / POW10[6 - decimals]);   // units of 10^-decimals ms
        if (scaled < 0) {
            sb.append('-');
            scaled = -scaled;
        }
        long unit = POW10[decimals];
        sb.append(scaled / unit).append('.');
        String frac = Long.toString(scaled % unit);
        for (int i = frac.length(); i < decimals; i++) sb.append('0');
        return sb.append(frac);
    }

    /** A JSON string literal (RFC 8259): quotes, backslash and control characters escaped. */
    static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /**
     * An aligned table with a header line: the first two columns (addresses) left-aligned, the
     * others (numbers) right-aligned, two spaces between columns.
     */
    static void table(PrintStream out, String[] head, List<String[]> rows) {
        List<String[]> cells = new ArrayList<>(rows.size() + 1);
        cells.add(head);
        cells.addAll(rows);
        int[] w = new int[head.length];
        for (String[] row : cells) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], row[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] row : cells) {
            sb.setLength(0);
            for (int i = 0; i < w.length; i++) {
                if (i > 0) sb.append("  ");
                String pad = " ".repeat(w[i] - row[i].length());
                if (i < 2) sb.append(row[i]).append(i == w.length - 1 ? "" : pad);
                else sb.append(pad).append(row[i]);
            }
            out.println(sb);
        }
    }
}
