package io.gometro.app.cli;

import java.io.PrintStream;

/**
 * Command line could not be used: either a mistake (exit code 2, like Go's flag package) or a
 * request for help (-h, -help, --help: exit code 0). {@link #getMessage()} is the one-line error,
 * or null for help.
 *
 * <pre>
 * try { flags = Flags.parse(args); }
 * catch (FlagException e) { e.print(System.err); System.exit(e.exitCode()); }
 * </pre>
 */
public final class FlagException extends Exception {
    private final int exitCode;

    FlagException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** 2 for a usage error, 0 for -h/-help. */
    public int exitCode() { return exitCode; }

    /** True when the user asked for help; not an error. */
    public boolean isHelp() { return getMessage() == null; }

    /** Prints the error line (if any) and then the usage text, as Go does. */
    public void print(PrintStream out) {
        if (!isHelp()) out.println(getMessage());
        out.print(Flags.usage());
        out.flush();
    }
}
