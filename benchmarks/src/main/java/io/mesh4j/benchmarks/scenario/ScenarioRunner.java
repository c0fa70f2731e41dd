package io.mesh4j.benchmarks.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * Runs the scenario benchmarks and prints their results as markdown tables (progress goes to stderr).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.scenario.ScenarioRunner all [--quick] [--transport=http|grpc]
 * </pre>
 *
 * Scenarios: {@code slow-backend} ({@link SlowBackendScenario}), {@code retry-amplification}
 * ({@link RetryAmplificationScenario}), or {@code all}. {@code --quick} shortens every run (3 s instead of
 * 10 s, 2 s instead of 5 s) for a smoke test; {@code --transport=http} or {@code =grpc} runs the
 * {@code slow-backend} variants of one transport only (default: both, side by side). Everything listens on 127.0.0.1 only; a watchdog ends the
 * JVM if a run ever takes far longer than it should.
 */
public final class ScenarioRunner {
  private static final long STARTED = System.nanoTime();

  private ScenarioRunner() {}

  public static void main(String[] args) throws Exception {
    // Before any HttpServer class loads (LoopbackServer sets it too).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    String scenario = null;
    boolean quick = false;
    java.util.Set<SlowBackendScenario.Transport> transports = java.util.EnumSet.allOf(SlowBackendScenario.Transport.class);
    for (String a : args) {
      if (a.equals("--quick")) {
        quick = true;
      } else if (a.equals("--transport=http")) {
        transports = java.util.EnumSet.of(SlowBackendScenario.Transport.HTTP);
      } else if (a.equals("--transport=grpc")) {
        transports = java.util.EnumSet.of(SlowBackendScenario.Transport.GRPC);
      } else if (scenario == null && List.of("slow-backend", "retry-amplification", "all").contains(a)) {
        scenario = a;
      } else {
        usage("unexpected argument '" + a + "'");
        return;
      }
    }
    if (scenario == null) {
      usage("no scenario named");
      return;
    }
    startWatchdog(quick ? Duration.ofMinutes(4) : Duration.ofMinutes(10));

    System.out.println("# Mesh4j scenarios (" + (quick ? "--quick" : "full") + ")");
    System.out.println();
    System.out.println("Started " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "; "
        + Runtime.getRuntime().availableProcessors() + " CPUs; Java " + System.getProperty("java.vm.version")
        + "; load average " + loadAverage() + ".");
    System.out.println();
    if (scenario.equals("slow-backend") || scenario.equals("all")) {
      SlowBackendScenario.Config c = SlowBackendScenario.Config.of(quick);
      printSlowBackend(c, new SlowBackendScenario(c, transports).run());
    }
    if (scenario.equals("retry-amplification") || scenario.equals("all")) {
      RetryAmplificationScenario.Config c = RetryAmplificationScenario.Config.of(quick);
      printRetryAmplification(c, new RetryAmplificationScenario(c).run());
    }
    System.out.println(String.format(Locale.ROOT, "Finished after %.0f s; load average %s.",
        (System.nanoTime() - STARTED) / 1e9, loadAverage()));
  }

  private static void printSlowBackend(SlowBackendScenario.Config c, List<SlowBackendScenario.Row> rows) {
    System.out.println("## slow-backend");
    System.out.println();
    System.out.printf(Locale.ROOT, "%d backends per transport, service time %d ms; backend 0 answers in %d ms to requests arriving "
            + "from %.0f%% to %.0f%% of each run; %d s per variant; total timeout %d ms, retries off unless said. "
            + "Latency of every request, failed ones included.%n%n", c.backends(), c.serviceTime().toMillis(),
        c.slowTime().toMillis(), c.slowFrom() * 100, c.slowUntil() * 100, c.duration().toSeconds(),
        c.timeout().toMillis());
    System.out.printf(Locale.ROOT, "### Closed loop: %d workers, each sends its next request when the last one "
        + "is answered%n%n", c.workers());
    slowBackendTable(rows.stream().filter(r -> !r.open()).toList(), true);
    System.out.printf(Locale.ROOT, "### Open loop: %.0f requests/s due on schedule, up to %d calling threads, latency "
        + "from the time each request was due%n%n", c.openRate(), c.openThreads());
    slowBackendTable(rows.stream().filter(SlowBackendScenario.Row::open).toList(), false);
    System.out.println("¹ `HedgePolicy.percentile(95, 10ms)`: a backup to another endpoint once the call has not "
        + "answered after max(10 ms, the service's observed p95), 2 attempts at most, each backup taking a retry-budget "
        + "token (default budget). With hedging on, the retry layer hedges instead of retrying. *Attempts ≥ 2* = "
        + "requests the backends received with `mesh-attempt` other than 1, i.e. backups actually sent; per call = "
        + "the hedge rate.");
    System.out.println();
    System.out.println("HTTP = `MeshOkHttp.client` to JDK HTTP/1.1 servers (a connection per calling thread per "
        + "backend); gRPC = `MeshGrpc.channel` (one HTTP/2 connection per backend, shared) with a blocking stub and "
        + "a per-call deadline of the total timeout, to grpc-java Netty servers answering from a timer. Each row's "
        + "p99.9 is compared with the all-healthy baseline of its own transport.");
    System.out.println();
    for (SlowBackendScenario.Row row : rows) {
      if (!row.variant().slow()) {
        continue;
      }
      LoadGenerator.Result healthy = rows.stream()
          .filter(x -> !x.variant().slow() && x.variant().transport() == row.variant().transport()
              && x.open() == row.open() && x.pass() == row.pass())
          .findFirst().orElseThrow().result();
      LoadGenerator.Result r = row.result();
      double ratio = healthy.p999() == 0 ? Double.NaN : (double) r.p999() / healthy.p999();
      long slowest = r.requests() - (long) Math.ceil(0.999 * r.requests()) + 1; // calls at or above p99.9
      System.out.printf(Locale.ROOT, "* %s, %s, %s: p99.9 = %.2fx the all-healthy p99.9 of the same pass "
              + "(target <= 1.5x: %s); success %s (target >= 99.9%%: %s); %d calls >= 500 ms, p99.9 is the "
              + "%d-th slowest call; backups sent: %d (%.3f%% of calls); breaker opened %d time(s), %d calls failed "
              + "fast; failures: %s%n",
          row.open() ? "open loop" : "closed loop pass " + row.pass(), row.variant().transport().label,
          row.variant().label(), ratio,
          ratio <= 1.5 ? "met" : "missed", percent(r.successPercent()), r.successPercent() >= 99.9 ? "met" : "missed",
          r.slow(), slowest, row.laterAttempts(), perCall(row.laterAttempts(), r.requests()), row.breakerOpened(),
          row.circuitOpen(), r.errors().isEmpty() ? "none thrown" : r.errors());
    }
    System.out.println();
  }

  private static void slowBackendTable(List<SlowBackendScenario.Row> rows, boolean showPass) {
    System.out.println("| transport | variant |" + (showPass ? " pass |" : "") + " requests | req/s | success | p50 (ms) "
        + "| p99 (ms) | p99.9 (ms) | max (ms) | ≥ 500 ms | to the slow backend (in its window) | CPU: JVM / machine "
        + "| GCs, GC time | max stall (ms) | backend requests per call | attempts ≥ 2 (% of calls) "
        + "| breaker opened / calls failed fast |");
    System.out.println("|---|---|" + (showPass ? "---:|" : "") + "---:|".repeat(15));
    for (SlowBackendScenario.Row row : rows) {
      LoadGenerator.Result r = row.result();
      System.out.printf(Locale.ROOT, "| %s | %s |%s %d | %.0f | %s | %s | %s | %s | %s | %d | %d (%d) | %s | %.4f "
              + "| %d (%.3f%%) | %d / %d |%n",
          row.variant().transport().label, row.variant().label(), showPass ? " " + row.pass() + " |" : "", r.requests(), r.ratePerSecond(),
          percent(r.successPercent()), ms(r.p50()), ms(r.p99()), ms(r.p999()), ms(r.max()), r.slow(),
          row.slowBackendRequests(), row.slowWindowRequests(), row.usage(),
          r.requests() == 0 ? 0.0 : (double) row.backendRequests() / r.requests(), row.laterAttempts(),
          perCall(row.laterAttempts(), r.requests()), row.breakerOpened(), row.circuitOpen());
    }
    System.out.println();
  }

  private static void printRetryAmplification(RetryAmplificationScenario.Config c,
      List<RetryAmplificationScenario.Row> rows) {
    System.out.println("## retry-amplification");
    System.out.println();
    System.out.printf(Locale.ROOT, "Backend answers 503 to everything (or to 20%% of requests at random, seeded, where "
            + "the row says so). Top client paced at %.0f req/s asked over %d "
            + "workers, %d s per variant; GET (idempotent); total timeout %d s, inherited by each service through "
            + "mesh-timeout-ms. Load factor = requests received by the backend / requests sent by the top client.%n%n",
        c.ratePerSecond(), c.workers(), c.duration().toSeconds(), c.timeout().toSeconds());
    System.out.println("| path | retries | breaker | req/s achieved | sent by top client | received S1 / S2 / S3 "
        + "| received by backend | **load factor** | failed fast at top client (CircuitOpenException) "
        + "| calls failed | p50 (ms) | p99 (ms) |");
    System.out.println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (RetryAmplificationScenario.Row row : rows) {
      LoadGenerator.Result r = row.result();
      long[] rec = row.received();
      String hops = "–";
      if (row.variant().hops() > 0) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rec.length - 1; i++) {
          sb.append(i == 0 ? "" : " / ").append(rec[i]);
        }
        hops = sb.toString();
      }
      String path = row.variant().hops() == 0 ? "one layer" : "client → S1 → S2 → S3 → backend";
      String fastFails = row.variant().breaker() ? String.format(Locale.ROOT, "%d (%.1f%%)", row.circuitOpen()[0],
          r.requests() == 0 ? 0.0 : 100.0 * row.circuitOpen()[0] / r.requests()) : "–";
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %.0f | %d | %s | %d | **%.3fx** | %s | %d | %s | %s |%n", path,
          row.variant().label(), row.variant().breaker() ? "on (default)" : "off", r.ratePerSecond(), r.requests(),
          hops, row.backendReceived(), row.loadFactor(), fastFails, r.failed(), ms(r.p50()), ms(r.p99()));
    }
    System.out.println();
    System.out.println("² a 10% budget is not the default (20%); shown only to read the 1.1x target against.");
    System.out.println();
    for (RetryAmplificationScenario.Row row : rows) {
      RetryAmplificationScenario.Variant v = row.variant();
      if (v.failPercent() < 100) {
        System.out.printf(Locale.ROOT, "* %s, %s: %d of %d calls failed (%.2f%%; with 3 attempts, independent 20%% "
                + "failures leave 0.8%% of calls failing when every retry is taken)%n",
            v.hops() == 0 ? "one layer" : "three deep", v.label(), row.result().failed(), row.result().requests(),
            100.0 * row.result().failed() / Math.max(1, row.result().requests()));
        continue;
      }
      if (v.retries() != RetryAmplificationScenario.BUDGETED || (v.hops() > 0 && !v.relayMarker())) {
        continue;
      }
      double target = v.hops() == 0 ? 1.1 : 1.2;
      System.out.printf(Locale.ROOT, "* %s, %s, breaker %s: %.3fx (target <= %.1fx: %s)%s%n",
          v.hops() == 0 ? "one layer" : "three deep", v.label().replace(" (breaker on)", ""), v.breaker() ? "on" : "off",
          row.loadFactor(), target,
          row.loadFactor() <= target ? "met" : "missed",
          v.breaker() ? "; calls failed fast with CircuitOpenException at top client / S1 / S2 / S3: "
              + java.util.Arrays.toString(row.circuitOpen()) : "");
    }
    System.out.println();
  }

  private static double perCall(long count, long calls) {
    return calls == 0 ? 0 : 100.0 * count / calls;
  }

  private static String ms(int micros) {
    return micros >= 100_000 ? String.format(Locale.ROOT, "%.0f", micros / 1000.0)
        : String.format(Locale.ROOT, "%.2f", micros / 1000.0);
  }

  private static String percent(double p) {
    return String.format(Locale.ROOT, "%.3f%%", p);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " / " + f[1] + " / " + f[2] + " (1 / 5 / 15 min)";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static void log(String message) {
    System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - STARTED) / 1e9, message);
  }

  private static void startWatchdog(Duration limit) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(limit.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("scenario runner: still running after " + limit.toMinutes() + " min, stopping");
      Runtime.getRuntime().halt(3);
    }, "scenario-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private static void usage(String problem) {
    System.err.println("scenario runner: " + problem);
    System.err.println("usage: ScenarioRunner slow-backend|retry-amplification|all [--quick] [--transport=http|grpc]");
    System.exit(2);
  }
}
