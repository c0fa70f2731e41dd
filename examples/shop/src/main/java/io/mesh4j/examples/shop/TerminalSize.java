package io.mesh4j.examples.shop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The size of the terminal the live view draws on, in characters. From {@code COLUMNS} and {@code LINES}
 * when both are set (a shell sets them, but exports them only when asked), else from {@code stty size} on
 * the controlling terminal, else {@link #DEFAULT} (80×24, the size every terminal offers). Never less
 * than {@link #MIN}: below that nothing readable fits.
 */
record TerminalSize(int columns, int rows) {
  static final TerminalSize DEFAULT = new TerminalSize(80, 24);
  static final TerminalSize MIN = new TerminalSize(40, 12);

  TerminalSize {
    if (columns < 1 || rows < 1) {
      throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " (expected: at least 1x1)");
    }
  }

  /** The terminal's size now; {@code askTty}: whether {@code stty} may be asked (only on a terminal). */
  static TerminalSize detect(Map<String, String> env, boolean askTty) {
    TerminalSize fromEnv = parse(env.get("COLUMNS"), env.get("LINES"));
    if (fromEnv != null) {
      return atLeastMin(fromEnv);
    }
    if (askTty) {
      TerminalSize fromStty = stty();
      if (fromStty != null) {
        return atLeastMin(fromStty);
      }
    }
    return DEFAULT;
  }

  /**
   * The terminal's size, read again at most every 3 s (the user may resize it). Not on a terminal
   * ({@code terminal} false): always {@link #DEFAULT}. For one thread at a time.
   */
  static Supplier<TerminalSize> watch(boolean terminal) {
    if (!terminal) {
      return () -> DEFAULT;
    }
    return new Supplier<>() {
      private TerminalSize last;
      private long readAt;

      @Override
      public TerminalSize get() {
        long now = System.nanoTime();
        if (last == null || now - readAt >= 3_000_000_000L) {
          last = detect(System.getenv(), true);
          readAt = now;
        }
        return last;
      }
    };
  }

  /**
   * Whether this process talks to a terminal that understands cursor movement: a console, not a dumb
   * one. From JDK 22 {@code System.console()} exists even when the streams are redirected, so its
   * {@code isTerminal()} (looked up at run time: this code compiles for 17) decides when there is one.
   */
  static boolean isTerminal(Map<String, String> env) {
    java.io.Console console = System.console();
    if (console == null || "dumb".equals(env.get("TERM"))) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // JDK 17-21: a console exists only on a terminal
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /** "ROWS COLUMNS", as {@code stty size} prints it; null when unreadable. */
  static TerminalSize parseStty(String output) {
    String[] parts = output == null ? new String[0] : output.trim().split("\\s+");
    return parts.length == 2 ? parse(parts[1], parts[0]) : null;
  }

  private static TerminalSize parse(String columns, String rows) {
    try {
      int c = Integer.parseInt(columns == null ? "" : columns.trim());
      int r = Integer.parseInt(rows == null ? "" : rows.trim());
      return c > 0 && r > 0 ? new TerminalSize(c, r) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static TerminalSize atLeastMin(TerminalSize s) {
    return new TerminalSize(Math.max(MIN.columns, s.columns), Math.max(MIN.rows, s.rows));
  }

  /** {@code stty size < /dev/tty}, bounded to one second; null when there is no terminal or no stty. */
  private static TerminalSize stty() {
    try {
      Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(true).start();
      if (!p.waitFor(1, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.exitValue() == 0 ? parseStty(out) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
