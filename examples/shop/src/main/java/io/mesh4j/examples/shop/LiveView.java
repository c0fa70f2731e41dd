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
 * The live terminal view. On a terminal it redraws the screen once a second, fitted to the terminal's
 * size ({@link Frame}: nothing wraps, nothing scrolls); otherwise (CI logs, a pipe) it prints the legend
 * once, the table every {@value #PLAIN_EVERY} seconds and step banners, results and mesh events as they
 * come, every line at most {@value #PLAIN_WIDTH} characters. What it shows is read here, from the
 * callers' meshes, the instances' own records, the OpenTelemetry counters the meshes emit and the load
 * generator, into a {@link ViewState}; every rate is per second over the last 5 s.
 */
final class LiveView implements AutoCloseable {
  static final List<String> SERVICES = List.of("order", "product", "payment");
  /** Width of plain-mode lines. */
  static final int PLAIN_WIDTH = 100;
  /** Seconds between two tables in plain mode. */
  static final int PLAIN_EVERY = 10;

  private final PrintStream out;
  private final boolean ansi;
  private final Supplier<TerminalSize> size;
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
  private final List<String> log = new ArrayList<>(); // banners, results, events; guarded by this
  private final Rates rates = new Rates(Traffic.WINDOW_NANOS); // used on the timer thread (and by close after it)
  private final long startNanos = System.nanoTime();
  private long frames;
  private boolean legendShown;

  LiveView(PrintStream out, boolean ansi, Supplier<TerminalSize> size, Cluster cluster, LoadGenerator load,
      Traffic traffic, DemoTelemetry telemetry, EmbeddedControlPlane controlPlane, Supplier<String> header) {
    this.out = out;
    this.ansi = ansi;
    this.size = size;
    this.cluster = cluster;
    this.load = load;
    this.traffic = traffic;
    this.telemetry = telemetry;
    this.controlPlane = controlPlane;
    this.header = header;
  }

  void start() {
    if (!ansi) {
      Frame.legend(PLAIN_WIDTH).forEach(out::println);
      legendShown = true;
    }
    timer.scheduleAtFixedRate(this::refresh, 0, 1, TimeUnit.SECONDS);
  }

  /** A step banner, a result or an event: printed at once (plain mode) or kept for the screen's log. */
  synchronized void announce(String text) {
    for (String line : text.split("\n", -1)) {
      log.add(line);
      if (!ansi) {
        Text.wrap(line, PLAIN_WIDTH, "    ").forEach(out::println);
      }
    }
    if (log.size() > 400) {
      log.subList(0, 200).clear(); // more than any screen shows
    }
  }

  private synchronized void refresh() {
    try {
      ViewState state = read();
      frames++;
      if (ansi) {
        TerminalSize s = size.get();
        List<String> lines = Frame.screen(state, log, s.columns(), s.rows());
        legendShown |= Frame.showsLegend(Frame.table(state, s.columns()).size(), s.columns(), s.rows());
        StringBuilder b = new StringBuilder("\033[H");
        for (int i = 0; i < lines.size(); i++) {
          b.append(lines.get(i)).append("\033[K"); // clear the rest of the line: the last frame's text
          if (i < lines.size() - 1) {
            b.append('\n'); // none after the last line: a newline on the bottom row would scroll
          }
        }
        out.print(b.append("\033[J")); // and clear below
        out.flush();
      } else if ((frames - 1) % PLAIN_EVERY == 0 && frames > 1) {
        out.println();
        Frame.table(state, PLAIN_WIDTH).forEach(out::println);
        out.println();
      }
    } catch (RuntimeException e) {
      out.println(Text.cut("(live view: " + e + ")", PLAIN_WIDTH)); // never kill the timer
    }
  }

  /** Reads the shop into a {@link ViewState}, and samples the counters whose rates it shows. */
  ViewState read() {
    long now = System.nanoTime();
    long seconds = (now - startNanos) / 1_000_000_000L;
    Map<String, Long> retries = telemetry.retries();
    Map<String, Long> hedges = telemetry.hedges();
    Map<String, Traffic.Counts> served = traffic.counts();
    Map<String, Traffic.Window> windows = traffic.windows().stream()
        .collect(Collectors.toMap(Traffic.Window::instance, w -> w));
    List<ViewState.Service> services = new ArrayList<>();
    for (String service : SERVICES) {
      List<Cluster.Caller> callers = cluster.callersOf(service);
      rates.sample("retries " + service, retries.getOrDefault(service, 0L), now);
      rates.sample("hedges " + service, hedges.getOrDefault(service, 0L), now);
      rates.sample("resent " + service, served.values().stream().filter(c -> c.service().equals(service))
          .mapToLong(c -> c.requests() - c.firstAttempts()).sum(), now);
      double total = cluster.instances().stream().filter(i -> i.spec().service().equals(service))
          .map(i -> windows.get(i.name())).filter(w -> w != null).mapToDouble(Traffic.Window::ratePerSecond).sum();
      List<ViewState.Instance> instances = new ArrayList<>();
      for (ShopInstance i : cluster.instances()) {
        if (i.spec().service().equals(service)) {
          Traffic.Window w = windows.getOrDefault(i.name(), new Traffic.Window(service, i.name(), 0, 0, 0, 0));
          instances.add(new ViewState.Instance(i.name(), i.spec().version(), i.spec().quirk(), w.ratePerSecond(),
              total == 0 ? 0 : w.ratePerSecond() / total, w.p50Millis(), w.p99Millis(),
              w.errors() / (Traffic.WINDOW_NANOS / 1e9), ejection(callers, service, i)));
        }
      }
      services.add(new ViewState.Service(service, revisions(callers, service), breakers(callers, service),
          rates.perSecond("retries " + service), rates.perSecond("hedges " + service),
          rates.perSecond("resent " + service), instances));
    }
    String title = String.format(Locale.ROOT, "Mesh4j shop demo  t=%ds  %s", seconds, header.get());
    String cp = "control plane " + (controlPlane.isRunning() ? "UP" : "DOWN (stopped)") + "  " + controlPlane.uri();
    return new ViewState(title, cp, services, loadState(now));
  }

  private ViewState.Load loadState(long now) {
    Map<String, Traffic.Counts> counts = load.results().counts();
    long calls = counts.values().stream().mapToLong(Traffic.Counts::requests).sum();
    long failed = counts.values().stream().mapToLong(Traffic.Counts::errors).sum();
    rates.sample("load calls", calls, now);
    rates.sample("load failed", failed, now);
    rates.sample("load skipped", load.skipped(), now);
    double p99 = 0;
    for (Traffic.Window w : load.results().windows()) {
      p99 = Math.max(p99, w.p99Millis());
    }
    return new ViewState.Load(rates.perSecond("load calls"), load.ratePerSecond(), rates.perSecond("load failed"),
        rates.perSecond("load skipped"), load.inFlight(), p99, calls, failed, load.lastFailure());
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
      s.ifPresent(v -> states.add(v.toString().toLowerCase(Locale.ROOT)));
    }
    return states.isEmpty() ? "-" : String.join(",", states);
  }

  /** "1/2 x1": ejected by 1 of its 2 callers, ejected once in all; "removed" once crashed and not listed. */
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
    String crashed = instance.isCrashed() ? " killed" : "";
    return (ejectedBy == 0 ? "-" : ejectedBy + "/" + listedBy) + (times > 0 ? " x" + times : "") + crashed;
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
      out.println();
      if (!legendShown) {
        out.println();
        Frame.legend(size.get().columns()).forEach(out::println);
      }
    }
  }
}
