package io.mesh4j.examples.shop;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The shop demo: product, order and payment services (Spring Boot applications using the Mesh4j
 * starter and annotated clients), several instances each, the control plane with its embedded store and
 * a load generator — all in this JVM, on loopback — walked through five scripted steps while a live view
 * shows what the mesh does. See {@link Walkthrough} for the script and {@code examples/shop/README.md}.
 *
 * <pre>
 *   (no flag)   the full walk-through (about 3 minutes), then a summary; exit 0 if every step passed
 *   --short     each step a few seconds (what CI runs)
 *   --forever   the walk-through, then keep running until Ctrl-C
 *   --plain     periodic lines instead of the redrawn table (automatic when stdout is not a terminal)
 *   --payment=http  order calls payment over HTTP instead of gRPC
 *   --rate=N    load generator calls per second (default 50)
 * </pre>
 */
public final class ShopDemo {
  private ShopDemo() {}

  public enum Mode { SHORT, FULL, FOREVER }

  /** How order calls payment. */
  public enum Transport { GRPC, HTTP }

  /** How to run: mode, output style, payment's transport, load and its random seed. */
  public record Options(Mode mode, boolean ansi, Transport payment, int rate, long seed) {
    public Options {
      if (rate < 1 || rate > 1000) {
        throw new IllegalArgumentException("rate: " + rate + " (expected: 1..1000)");
      }
    }

    /** Time to learn latencies before the first step. */
    Duration warmup() {
      return mode == Mode.SHORT ? Duration.ofSeconds(4) : Duration.ofSeconds(10);
    }

    /** How long each step runs and is measured. */
    Duration window() {
      return mode == Mode.SHORT ? Duration.ofSeconds(6) : Duration.ofSeconds(20);
    }

    static Options parse(String[] args) {
      Mode mode = Mode.FULL;
      boolean ansi = System.console() != null && !"dumb".equals(System.getenv("TERM"));
      int rate = 50;
      Transport payment = Transport.GRPC;
      for (String a : args) {
        if (a.equals("--short")) {
          mode = Mode.SHORT;
        } else if (a.equals("--forever")) {
          mode = Mode.FOREVER;
        } else if (a.equals("--plain")) {
          ansi = false;
        } else if (a.equals("--payment=grpc") || a.equals("--payment=http")) {
          payment = a.endsWith("grpc") ? Transport.GRPC : Transport.HTTP;
        } else if (a.startsWith("--rate=")) {
          rate = Integer.parseInt(a.substring("--rate=".length()));
        } else {
          throw new IllegalArgumentException("unknown argument: " + a
              + " (expected: --short, --forever, --plain, --payment=grpc|http, --rate=N)");
        }
      }
      return new Options(mode, ansi, payment, rate, 42);
    }
  }

  /**
   * One step's outcome: what was expected, what was measured (as text, and as named figures for tests),
   * whether it held.
   */
  public record StepResult(String step, String expected, String measured, boolean passed,
      Map<String, Double> figures) {
    public StepResult {
      figures = Map.copyOf(figures);
    }

    /** A measured figure, e.g. {@code "share"}. */
    public double figure(String name) {
      Double v = figures.get(name);
      if (v == null) {
        throw new IllegalArgumentException("step '" + step + "' has no figure '" + name + "' " + figures.keySet());
      }
      return v;
    }
  }

  /** Every step's outcome. */
  public record Summary(List<StepResult> steps, Duration took) {
    public boolean passed() {
      return !steps.isEmpty() && steps.stream().allMatch(StepResult::passed);
    }

    public StepResult step(String prefix) {
      return steps.stream().filter(s -> s.step().startsWith(prefix)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no step " + prefix + " in " + steps));
    }
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    // Ctrl-C: let the walk-through stop everything it started, in order, before the JVM goes.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "shop-demo-shutdown"));
    // The process's own stdout: under `mvn exec:java`, System.out is Maven's, which strips ANSI codes.
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    Summary summary;
    try {
      summary = run(options, out, stop);
    } finally {
      stopped.countDown();
    }
    out.println();
    out.println(summaryTable(summary.steps()));
    out.printf(Locale.ROOT, "%s in %d s%n", summary.passed() ? "ALL STEPS PASSED" : "SOME STEPS FAILED",
        summary.took().toSeconds());
    System.exit(summary.passed() ? 0 : 1);
  }

  /** Runs the demo in this JVM; the test calls this with {@link Mode#SHORT}. */
  public static Summary run(Options options, PrintStream out, CountDownLatch stop) throws Exception {
    return new Walkthrough(options, out).run(stop);
  }

  /** The summary as a text table. */
  static String summaryTable(List<StepResult> steps) {
    int w1 = "STEP".length();
    int w2 = "EXPECTED".length();
    int w3 = "MEASURED".length();
    for (StepResult s : steps) {
      w1 = Math.max(w1, s.step().length());
      w2 = Math.max(w2, s.expected().length());
      w3 = Math.max(w3, s.measured().length());
    }
    String row = "| %-" + w1 + "s | %-" + w2 + "s | %-" + w3 + "s | %-6s |%n";
    String rule = "+" + "-".repeat(w1 + 2) + "+" + "-".repeat(w2 + 2) + "+" + "-".repeat(w3 + 2) + "+--------+\n";
    StringBuilder b = new StringBuilder(rule);
    b.append(String.format(Locale.ROOT, row, "STEP", "EXPECTED", "MEASURED", "RESULT")).append(rule);
    for (StepResult s : steps) {
      b.append(String.format(Locale.ROOT, row, s.step(), s.expected(), s.measured(), s.passed() ? "PASS" : "FAIL"));
    }
    return b.append(rule).toString().stripTrailing();
  }
}
