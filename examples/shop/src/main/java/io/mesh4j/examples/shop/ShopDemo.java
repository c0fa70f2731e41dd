package io.mesh4j.examples.shop;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
 *   --forever   the walk-through, then keep running until Ctrl-C (with --short: short steps first)
 *   --plain     periodic lines instead of the redrawn table (automatic when stdout is not a terminal)
 *   --payment=http  order calls payment over HTTP instead of gRPC
 *   --rate=N    load generator calls per second (default 50)
 * </pre>
 */
public final class ShopDemo {
  private ShopDemo() {}

  /** How long the steps run. */
  public enum Mode { SHORT, FULL }

  /** How order calls payment. */
  public enum Transport { GRPC, HTTP }

  /**
   * How to run: step length, whether to keep running after the walk-through (until Ctrl-C), output
   * style, payment's transport, load and its random seed.
   */
  public record Options(Mode mode, boolean forever, boolean ansi, Transport payment, int rate, long seed) {
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
      boolean forever = false;
      boolean ansi = TerminalSize.isTerminal(System.getenv());
      int rate = 50;
      Transport payment = Transport.GRPC;
      for (String a : args) {
        if (a.equals("--short")) {
          mode = Mode.SHORT;
        } else if (a.equals("--forever")) {
          forever = true;
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
      return new Options(mode, forever, ansi, payment, rate, 42);
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

  /** Every step's outcome; {@code complete} is false when the walk-through was stopped part-way. */
  public record Summary(List<StepResult> steps, boolean complete, Duration took) {
    public boolean passed() {
      return complete && steps.stream().allMatch(StepResult::passed);
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
    Thread main = Thread.currentThread();
    // Ctrl-C: end the walk-through (or the --forever wait) and let it stop everything it started, in
    // order, before the JVM goes.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      if (stopped.getCount() > 0) {
        main.interrupt(); // a step in progress ends at its next wait
      }
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
    out.printf(Locale.ROOT, "%s in %d s%n", summary.passed() ? "ALL STEPS PASSED"
        : summary.complete() ? "SOME STEPS FAILED" : "STOPPED BEFORE THE END", summary.took().toSeconds());
    System.exit(summary.passed() ? 0 : 1);
  }

  /** Runs the demo in this JVM; the test calls this with {@link Mode#SHORT}. */
  public static Summary run(Options options, PrintStream out, CountDownLatch stop) throws Exception {
    return new Walkthrough(options, out).run(stop);
  }

  /** Width of the summary table: it fits any terminal. */
  static final int SUMMARY_WIDTH = 80;

  /**
   * The summary as a text table {@value #SUMMARY_WIDTH} characters wide: step, result, then what was
   * expected and what was measured, wrapped in the last column.
   */
  static String summaryTable(List<StepResult> steps) {
    int w1 = "STEP".length();
    for (StepResult s : steps) {
      w1 = Math.max(w1, s.step().length());
    }
    w1 = Math.min(w1, 24);
    int w3 = SUMMARY_WIDTH - w1 - "| ".length() - " | ".length() - "RESULT".length() - " | ".length() - " |".length();
    String row = "| %-" + w1 + "s | %-6s | %-" + w3 + "s |%n";
    String rule = "+" + "-".repeat(w1 + 2) + "+--------+" + "-".repeat(w3 + 2) + "+\n";
    StringBuilder b = new StringBuilder(rule);
    b.append(String.format(Locale.ROOT, row, "STEP", "RESULT", "EXPECTED / MEASURED")).append(rule);
    for (StepResult s : steps) {
      List<String> text = new ArrayList<>(Text.wrap("expected: " + s.expected(), w3, "  "));
      text.addAll(Text.wrap("measured: " + s.measured(), w3, "  "));
      for (int i = 0; i < text.size(); i++) {
        b.append(String.format(Locale.ROOT, row, i == 0 ? Text.cut(s.step(), w1) : "",
            i == 0 ? (s.passed() ? "PASS" : "FAIL") : "", text.get(i)));
      }
      b.append(rule);
    }
    return b.toString().stripTrailing();
  }
}
