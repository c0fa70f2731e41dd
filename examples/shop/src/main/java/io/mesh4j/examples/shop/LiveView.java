package io.mesh4j.examples.shop;

import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.examples.shop.common.Traffic;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The live terminal view. On a terminal it redraws the whole table once a second (ANSI clear + home);
 * otherwise (CI logs, a pipe) it prints one compact line per service every few seconds. Per service: the
 * policy revision each caller runs, the breaker state, retries and hedges as the mesh counted them, and
 * the re-sent attempts the instances served; per instance: request rate,
 * share of the service's traffic, p50 / p99 and errors (as the instance measured them over the last 5 s),
 * and whether its callers have ejected it.
 */
final class LiveView implements AutoCloseable {
  static final List<String> SERVICES = List.of("order", "product", "payment");

  private final PrintStream out;
  private final boolean ansi;
  private final Cluster cluster;
  private final LoadGenerator load;
  private final Traffic traffic;
  private final DemoTelemetry telemetry;
  private final EmbeddedControlPlane controlPlane;
  private final Supplier<String> header;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "live-view");
    t.setDaemon(true);
    return t;
  });
  private final List<String> log = new ArrayList<>(); // banners and results, guarded by this
  private final long startNanos = System.nanoTime();
  private long frames;

  LiveView(PrintStream out, boolean ansi, Cluster cluster, LoadGenerator load, Traffic traffic,
      DemoTelemetry telemetry, EmbeddedControlPlane controlPlane, Supplier<String> header) {
    this.out = out;
    this.ansi = ansi;
    this.cluster = cluster;
    this.load = load;
    this.traffic = traffic;
    this.telemetry = telemetry;
    this.controlPlane = controlPlane;
    this.header = header;
  }

  void start() {
    timer.scheduleAtFixedRate(this::refresh, 1, 1, TimeUnit.SECONDS);
  }

  /** A step banner or a result: printed at once (plain mode) or kept under the table (terminal). */
  synchronized void announce(String text) {
    log.add(text);
    if (!ansi) {
      out.println(text);
    }
  }

  private synchronized void refresh() {
    try {
      frames++;
      if (ansi) {
        StringBuilder b = new StringBuilder("\033[H\033[2J");
        render().forEach(line -> b.append(line).append('\n'));
        b.append('\n');
        log.subList(Math.max(0, log.size() - 14), log.size()).forEach(line -> b.append(line).append('\n'));
        out.print(b);
        out.flush();
      } else if (frames % 5 == 0) {
        compact().forEach(out::println);
      }
    } catch (RuntimeException e) {
      out.println("(live view: " + e + ")"); // never kill the timer
    }
  }

  /** The full table. */
  List<String> render() {
    List<String> lines = new ArrayList<>();
    long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
    lines.add(String.format(Locale.ROOT, "Mesh4j shop demo   t=%ds   %s", seconds, header.get()));
    lines.add("control plane " + controlPlane.uri() + "  " + (controlPlane.isRunning() ? "UP" : "DOWN (stopped)"));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "  %-12s %-4s %-11s %7s %7s %9s %9s %6s  %s",
        "INSTANCE", "VER", "QUIRK", "RPS", "SHARE", "P50", "P99", "ERR/5s", "EJECTED BY CALLERS"));
    Map<String, Long> retries = telemetry.retries();
    Map<String, Long> hedges = telemetry.hedges();
    Map<String, Traffic.Window> windows = traffic.windows().stream()
        .collect(Collectors.toMap(Traffic.Window::instance, w -> w));
    for (String service : SERVICES) {
      List<Cluster.Caller> callers = cluster.callersOf(service);
      lines.add(String.format(Locale.ROOT, "%s  policy %s  breaker %s  retries %d  hedges %d  re-sent served %d",
          service, revisions(callers, service), breakers(callers, service), retries.getOrDefault(service, 0L),
          hedges.getOrDefault(service, 0L), resent(service)));
      double total = cluster.instances().stream().filter(i -> i.spec().service().equals(service))
          .map(i -> windows.get(i.name())).filter(w -> w != null).mapToDouble(Traffic.Window::ratePerSecond).sum();
      for (ShopInstance i : cluster.instances()) {
        if (!i.spec().service().equals(service)) {
          continue;
        }
        Traffic.Window w = windows.getOrDefault(i.name(), new Traffic.Window(service, i.name(), 0, 0, 0, 0));
        lines.add(String.format(Locale.ROOT, "  %-12s %-4s %-11s %7.1f %6.1f%% %7.1fms %7.1fms %6d  %s",
            i.name(), i.spec().version(), i.spec().quirk(), w.ratePerSecond(),
            total == 0 ? 0 : 100 * w.ratePerSecond() / total, w.p50Millis(), w.p99Millis(), w.errors(),
            ejection(callers, service, i)));
      }
    }
    lines.add(loadLine());
    return lines;
  }

  /** Plain mode: one line per service and one for the load generator. */
  private List<String> compact() {
    List<String> lines = new ArrayList<>();
    long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
    Map<String, Long> retries = telemetry.retries();
    Map<String, Long> hedges = telemetry.hedges();
    Map<String, Traffic.Window> windows = traffic.windows().stream()
        .collect(Collectors.toMap(Traffic.Window::instance, w -> w));
    for (String service : SERVICES) {
      List<Cluster.Caller> callers = cluster.callersOf(service);
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  [t=%3ds] %-7s policy %s breaker %s retries %d hedges %d |",
          seconds, service, revisions(callers, service), breakers(callers, service),
          retries.getOrDefault(service, 0L), hedges.getOrDefault(service, 0L)));
      for (ShopInstance i : cluster.instances()) {
        if (i.spec().service().equals(service)) {
          Traffic.Window w = windows.get(i.name());
          String e = ejection(callers, service, i);
          b.append(String.format(Locale.ROOT, " %s %.0f/s p50 %.1fms p99 %.1fms%s;", i.name(),
              w == null ? 0 : w.ratePerSecond(), w == null ? 0 : w.p50Millis(), w == null ? 0 : w.p99Millis(),
              e.equals("-") ? "" : " ejected " + e));
        }
      }
      lines.add(b.toString());
    }
    lines.add("  [t=" + seconds + "s] " + loadLine());
    return lines;
  }

  /**
   * Attempts the instances of {@code service} served that were not first attempts: retries and hedges
   * that reached a server, whichever transport (HTTP {@code mesh-attempt}, gRPC
   * {@code grpc-previous-rpc-attempts}) and whichever layer (the mesh's, or gRPC's own) sent them.
   */
  private long resent(String service) {
    return traffic.counts().values().stream().filter(c -> c.service().equals(service))
        .mapToLong(c -> c.requests() - c.firstAttempts()).sum();
  }

  private String loadLine() {
    Map<String, Traffic.Counts> counts = load.results().counts();
    long calls = counts.values().stream().mapToLong(Traffic.Counts::requests).sum();
    long failed = counts.values().stream().mapToLong(Traffic.Counts::errors).sum();
    double rate = 0;
    double p99 = 0;
    for (Traffic.Window w : load.results().windows()) {
      rate += w.ratePerSecond();
      p99 = Math.max(p99, w.p99Millis());
    }
    return String.format(Locale.ROOT, "load -> order: %.1f calls/s (target %d), %d calls, %d failed, %d skipped, "
        + "%d in flight, p99 %.1fms%s", rate, load.ratePerSecond(), calls, failed, load.skipped(), load.inFlight(), p99,
        load.lastFailure() == null ? "" : "  last failure: " + abbreviate(load.lastFailure()));
  }

  /** "r12" when every caller runs the same revision, "r11,r12" while a new one spreads, "-" when none. */
  static String revisions(List<Cluster.Caller> callers, String service) {
    TreeSet<Long> revs = new TreeSet<>();
    for (Cluster.Caller c : callers) {
      ServiceRuntime r = c.runtime(service);
      if (r != null) {
        revs.add(r.policyRevision());
      }
    }
    return revs.isEmpty() ? "-" : revs.stream().map(r -> "r" + r).collect(Collectors.joining(","));
  }

  private static String breakers(List<Cluster.Caller> callers, String service) {
    TreeSet<String> states = new TreeSet<>();
    for (Cluster.Caller c : callers) {
      Optional<?> s = c.mesh().breakers().state(service);
      s.ifPresent(v -> states.add(v.toString()));
    }
    return states.isEmpty() ? "-" : String.join(",", states);
  }

  /** "2/2 (x1)": ejected by 2 of its 2 callers, ejected once in all; "gone" once crashed and not listed. */
  private static String ejection(List<Cluster.Caller> callers, String service, ShopInstance instance) {
    int ejectedBy = 0;
    int listedBy = 0;
    int times = 0;
    for (Cluster.Caller c : callers) {
      ServiceRuntime r = c.runtime(service);
      if (r == null) {
        continue;
      }
      for (EndpointStats s : r.endpoints()) {
        if (s.endpoint().address().equals(instance.address())) {
          listedBy++;
          times += s.timesEjected();
          ejectedBy += s.isEjected() ? 1 : 0;
        }
      }
    }
    if (listedBy == 0 && instance.isCrashed()) {
      return "removed";
    }
    String crashed = instance.isCrashed() ? " [killed]" : "";
    return (ejectedBy == 0 ? "-" : ejectedBy + "/" + listedBy) + (times > 0 ? " (x" + times + ")" : "") + crashed;
  }

  private static String abbreviate(String s) {
    s = s.replace('\n', ' ');
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ansi) {
      refresh(); // the last frame stays on screen
    }
  }
}
