package io.mesh4j.controlplane.report;

import io.mesh4j.internal.report.LatencyHistogram;
import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

/**
 * The control plane's memory of client reports: per edge (caller service to callee service) counts in
 * 10 s slots over the last 10 minutes, and the latest report of every instance that still reports.
 *
 * <p>A report's counts go to the slot of the time it arrives. {@link #topology} adds up the slots of a
 * window (1 to 10 minutes) and divides by the window's length; latency percentiles come from the merged
 * histograms. An instance whose last report is older than three of its intervals is forgotten (its past
 * counts stay in the slots they were added to).
 *
 * <p>Thread-safety: every method is {@code synchronized}. Reports arrive every 10 s per instance (100 per
 * second at 1,000 instances) and each costs a few array additions; queries come from people and
 * dashboards. Neither is on any service's call path.
 */
public final class ReportBook {
  /** Resolution of the windows. */
  public static final Duration SLOT = Duration.ofSeconds(10);
  /** The longest window kept. */
  public static final Duration MAX_WINDOW = Duration.ofMinutes(10);
  private static final int SLOTS = (int) (MAX_WINDOW.toNanos() / SLOT.toNanos());

  private final Ticker ticker;
  private final Duration staleGrace;
  private final ToLongFunction<String> currentPolicyRevision;
  private final EventJournal events;
  private final long epoch;
  /** The wall-clock time of {@link #epoch}: where slot 0 starts. */
  private final Instant epochWall = Instant.now();
  /** Per edge, its counts per slot over the last 10 minutes; dropped once it has none left. */
  private final Map<Edge, SlotSeries> edges = new HashMap<>();
  /** Per callee service, per endpoint address, its counts per slot (no latency). */
  private final Map<String, Map<String, SlotSeries>> endpoints = new HashMap<>();
  private final Map<String, InstanceState> instances = new LinkedHashMap<>();
  /** Every edge's counts since start, never reset: Prometheus counters ({@code /metrics}). */
  private final Map<Edge, EdgeCounts> totals = new HashMap<>();
  private long ingested;
  /** The slot of the last housekeeping. */
  private long sweptSlot = -1;
  /** Endpoint series held (for the cap). */
  private int endpointSeries;
  private final int maxInstances;
  private final int maxEdges;
  private final int maxEndpoints;

  /** A report that would take the book past one of its caps. */
  public static final class TooManyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooManyException(String message) {
      super(message, null, false, false);
    }
  }

  /** A caller service and a callee service. */
  public record Edge(String from, String to) {}

  /** One edge's figures over a window. */
  public record EdgeStats(String from, String to, long requests, long attempts, long success, long failure,
      long timeout, long cancelled, long retries, long hedges, double requestsPerSecond, Double successRate,
      Double p50Ms, Double p99Ms) {}

  /** A service in the topology, with the instances that report as it. */
  public record Node(String service, int instances) {}

  /** The services and the edges between them over a window. */
  public record Topology(Duration window, List<Node> nodes, List<EdgeStats> edges) {}

  /**
   * One client in the fleet.
   *
   * @param behind per service whose policy it runs behind the current one: {applied, current, forMillis}
   * @param stale  whether it has run behind for longer than the grace period
   */
  public record Client(Report report, Instant lastReport, long lastReportAgoMillis, Map<String, Behind> behind,
      boolean stale) {}

  /** A service whose policy a client runs behind the control plane's. */
  public record Behind(long applied, long current, long forMillis) {}

  private static final class InstanceState {
    Report report;
    long lastNanos;
    Instant lastWall;
    /** Since when it has run each service's policy behind the current one. */
    final Map<String, Long> behindSince = new HashMap<>();
    /** The breakers it last reported not closed, by destination. */
    final Map<String, String> breakers = new HashMap<>();
  }

  /**
   * @param ticker     the clock of the windows and of ageing
   * @param staleGrace how long a client may run a policy behind the current one before it is stale
   * @param currentPolicyRevision the control plane's policy revision of a service
   */
  public ReportBook(Ticker ticker, Duration staleGrace, ToLongFunction<String> currentPolicyRevision) {
    this(ticker, staleGrace, currentPolicyRevision, null);
  }

  /**
   * @param events where clients joining and leaving, ejections and breaker changes seen in reports go;
   *               null: nowhere
   */
  public ReportBook(Ticker ticker, Duration staleGrace, ToLongFunction<String> currentPolicyRevision,
      EventJournal events) {
    this(ticker, staleGrace, currentPolicyRevision, events, 20_000, 20_000, 100_000);
  }

  /** With caps on reporting instances, edges and endpoint series (past them, reports are refused). */
  ReportBook(Ticker ticker, Duration staleGrace, ToLongFunction<String> currentPolicyRevision, EventJournal events,
      int maxInstances, int maxEdges, int maxEndpoints) {
    this.maxInstances = maxInstances;
    this.maxEdges = maxEdges;
    this.maxEndpoints = maxEndpoints;
    this.events = events;
    this.ticker = ticker;
    this.staleGrace = staleGrace;
    this.currentPolicyRevision = currentPolicyRevision;
    this.epoch = ticker.nanoTime();
  }

  /**
   * Adds a report's counts to the current slot and remembers it as its instance's latest.
   *
   * @throws TooManyException when a new instance, edge or endpoint would pass its cap (nothing is added)
   */
  public synchronized void ingest(Report r) {
    long now = ticker.nanoTime();
    long slot = (now - epoch) / SLOT.toNanos();
    if (slot != sweptSlot) { // housekeeping once per slot, whether or not anyone queries
      sweptSlot = slot;
      forget(slot);
      expire(now);
    }
    checkCaps(r);
    for (Report.Destination d : r.destinations()) {
      Edge edge = new Edge(r.service(), d.service());
      edges.computeIfAbsent(edge, e -> new SlotSeries(SLOTS, true)).add(slot, d);
      totals.computeIfAbsent(edge, e -> new EdgeCounts()).add(d);
      Map<String, SlotSeries> byAddress = endpoints.computeIfAbsent(d.service(), k -> new HashMap<>());
      for (Report.EndpointTraffic e : d.endpoints()) {
        byAddress.computeIfAbsent(e.address(), k -> {
          endpointSeries++;
          return new SlotSeries(SLOTS, false);
        }).add(slot, e);
      }
    }
    // Keyed by service and instance: a report can only ever update its own service's entry (a token scoped
    // to one service cannot overwrite another service's instance by reusing its id).
    InstanceState s = instances.computeIfAbsent(key(r), k -> new InstanceState());
    if (events != null) {
      ReportChanges.note(events, s.report, r, s.breakers);
    }
    s.report = r.withoutLatencies();
    s.lastNanos = now;
    s.lastWall = Instant.now();
    behind(s, now);
    ingested++;
  }

  /** Service names cannot contain '/': "service/instance" names one entry. */
  private static String key(Report r) {
    return r.service() + "/" + r.instance();
  }

  private void checkCaps(Report r) {
    if (!instances.containsKey(key(r)) && instances.size() >= maxInstances) {
      throw new TooManyException(maxInstances + " instances report already (the most the control plane keeps);"
          + " instance '" + r.instance() + "' of " + r.service() + " is refused until one stops");
    }
    int newEdges = 0;
    int newEndpoints = 0;
    for (Report.Destination d : r.destinations()) {
      newEdges += edges.containsKey(new Edge(r.service(), d.service())) ? 0 : 1;
      Map<String, SlotSeries> known = endpoints.getOrDefault(d.service(), Map.of());
      for (Report.EndpointTraffic e : d.endpoints()) {
        newEndpoints += known.containsKey(e.address()) ? 0 : 1;
      }
    }
    if (edges.size() + newEdges > maxEdges || endpointSeries + newEndpoints > maxEndpoints) {
      throw new TooManyException("the control plane keeps at most " + maxEdges + " edges and " + maxEndpoints
          + " endpoints with traffic in the last 10 minutes; this report from " + r.service() + " would add "
          + newEdges + " edges and " + newEndpoints + " endpoints to " + edges.size() + " and " + endpointSeries);
    }
  }

  /** An edge's counts since the control plane started. */
  public record EdgeTotals(Edge edge, long success, long failure, long timeout, long cancelled, long retries,
      long hedges, long[] latency) {}

  /** Every edge's counts since start, by caller then callee (copies). */
  public synchronized List<EdgeTotals> totals() {
    List<EdgeTotals> out = new ArrayList<>();
    totals.forEach((e, c) -> out.add(new EdgeTotals(e, c.success, c.failure, c.timeout, c.cancelled, c.retries,
        c.hedges, c.latency.clone())));
    out.sort(java.util.Comparator.comparing((EdgeTotals t) -> t.edge().from()).thenComparing(t -> t.edge().to()));
    return out;
  }

  /** Reports taken in since start. */
  public synchronized long ingested() {
    return ingested;
  }

  /** The edges seen over the last {@code window} (10 s to 10 min, rounded to 10 s) and the services they join. */
  public synchronized Topology topology(Duration window) {
    int slots = slots(window);
    long now = ticker.nanoTime();
    long current = (now - epoch) / SLOT.toNanos();
    forget(current);
    double seconds = covered(slots, now) / 1e9;
    List<EdgeStats> out = new ArrayList<>();
    TreeSet<String> services = new TreeSet<>();
    EdgeCounts scratch = new EdgeCounts(); // one array for all edges: a query allocates little
    for (Map.Entry<Edge, SlotSeries> e : edges.entrySet()) {
      if (e.getValue().lastSlot() <= current - slots) {
        continue;
      }
      scratch.reset();
      e.getValue().sumInto(scratch, current - slots, current);
      services.add(e.getKey().from());
      services.add(e.getKey().to());
      out.add(stats(e.getKey().from(), e.getKey().to(), scratch, seconds));
    }
    out.sort(java.util.Comparator.comparing(EdgeStats::from).thenComparing(EdgeStats::to));
    expire(now);
    Map<String, Integer> live = new HashMap<>();
    for (InstanceState s : instances.values()) {
      services.add(s.report.service());
      live.merge(s.report.service(), 1, Integer::sum);
    }
    List<Node> nodes = new ArrayList<>();
    for (String service : services) {
      nodes.add(new Node(service, live.getOrDefault(service, 0)));
    }
    return new Topology(SLOT.multipliedBy(slots), nodes, out);
  }

  /**
   * The time the last {@code slots} slots cover: the whole ones before the current slot plus what has
   * passed of the current one, never more than the book has existed and never less than one slot (so
   * that a rate right after a slot boundary or a restart is not divided by almost nothing).
   */
  private long covered(int slots, long now) {
    long sinceStart = now - epoch;
    long inCurrent = sinceStart % SLOT.toNanos();
    long span = (slots - 1) * SLOT.toNanos() + inCurrent;
    return Math.max(SLOT.toNanos(), Math.min(span, sinceStart));
  }

  /** Drops the series with nothing left in the last 10 minutes (edges and endpoints that went away). */
  private void forget(long current) {
    edges.entrySet().removeIf(e -> {
      boolean old = e.getValue().lastSlot() <= current - SLOTS;
      if (old) {
        totals.remove(e.getKey()); // its Prometheus counters go too; they restart from 0 if it comes back
      }
      return old;
    });
    endpoints.values().forEach(m -> m.values().removeIf(s -> {
      boolean old = s.lastSlot() <= current - SLOTS;
      endpointSeries -= old ? 1 : 0;
      return old;
    }));
    endpoints.values().removeIf(Map::isEmpty);
  }

  /** An edge's figures from its counts over {@code seconds}. */
  private static EdgeStats stats(String from, String to, EdgeCounts c, double seconds) {
    long answered = c.success + c.failure + c.timeout;
    long p50 = LatencyHistogram.quantileMicros(c.latency, 0.5);
    long p99 = LatencyHistogram.quantileMicros(c.latency, 0.99);
    return new EdgeStats(from, to, c.requests(), c.attempts(), c.success, c.failure, c.timeout, c.cancelled,
        c.retries, c.hedges, c.requests() / seconds, answered == 0 ? null : c.success / (double) answered,
        p50 < 0 ? null : p50 / 1000.0, p99 < 0 ? null : p99 / 1000.0);
  }

  /** One 10 s slot of a service's inbound traffic: every caller's edge to it added up ({@code from} is "*"). */
  public record Point(Instant start, EdgeStats stats) {}

  /**
   * {@code service}'s inbound traffic per 10 s slot over the last {@code window}, oldest first; slots
   * with no report are there with zero counts, so a chart has no gaps.
   */
  public synchronized List<Point> series(String service, Duration window) {
    int slots = slots(window);
    long current = (ticker.nanoTime() - epoch) / SLOT.toNanos();
    List<SlotSeries> inbound = new ArrayList<>();
    edges.forEach((edge, series) -> {
      if (edge.to().equals(service)) {
        inbound.add(series);
      }
    });
    List<Point> out = new ArrayList<>();
    EdgeCounts sum = new EdgeCounts();
    for (long slot = Math.max(0, current - slots + 1); slot <= current; slot++) {
      sum.reset();
      for (SlotSeries s : inbound) {
        s.sumInto(sum, slot - 1, slot);
      }
      out.add(new Point(epochWall.plus(SLOT.multipliedBy(slot)), stats("*", service, sum, SLOT.toSeconds())));
    }
    return out;
  }

  /**
   * One endpoint of a service over a window: the attempts its callers sent it, their success rate (null
   * when none was answered), and how many live callers have it ejected now (from their latest reports).
   */
  public record EndpointView(String address, long attempts, Double successRate, int ejectedBy) {}

  /** {@code service}'s endpoints over the last {@code window}, by address. */
  public synchronized List<EndpointView> endpoints(String service, Duration window) {
    int slots = slots(window);
    long now = ticker.nanoTime();
    long current = (now - epoch) / SLOT.toNanos();
    Map<String, long[]> sum = new TreeMap<>();
    EdgeCounts scratch = new EdgeCounts();
    endpoints.getOrDefault(service, Map.of()).forEach((address, series) -> {
      scratch.reset();
      series.sumInto(scratch, current - slots, current);
      if (series.lastSlot() > current - slots) {
        sum.put(address, new long[] {scratch.success, scratch.failure, scratch.timeout, scratch.cancelled});
      }
    });
    expire(now);
    Map<String, Integer> ejectedBy = new HashMap<>();
    for (InstanceState s : instances.values()) {
      for (Report.Destination d : s.report.destinations()) {
        if (d.service().equals(service)) {
          for (Report.EndpointTraffic e : d.endpoints()) {
            sum.computeIfAbsent(e.address(), a -> new long[4]);
            if (e.ejected()) {
              ejectedBy.merge(e.address(), 1, Integer::sum);
            }
          }
        }
      }
    }
    List<EndpointView> out = new ArrayList<>();
    sum.forEach((address, c) -> {
      long answered = c[0] + c[1] + c[2];
      out.add(new EndpointView(address, c[0] + c[1] + c[2] + c[3], answered == 0 ? null : c[0] / (double) answered,
          ejectedBy.getOrDefault(address, 0)));
    });
    return out;
  }

  /** The instances that report, with how far behind the control plane's policy each one runs. */
  public synchronized List<Client> clients() {
    long now = ticker.nanoTime();
    expire(now);
    List<Client> out = new ArrayList<>();
    for (InstanceState s : instances.values()) {
      Map<String, Behind> behind = behind(s, now);
      boolean stale = behind.values().stream().anyMatch(b -> b.forMillis() > staleGrace.toMillis());
      out.add(new Client(s.report, s.lastWall, (now - s.lastNanos) / 1_000_000, behind, stale));
    }
    return out;
  }

  /** The services whose policy {@code s} runs behind the current one, and since when (tracked from now on). */
  private Map<String, Behind> behind(InstanceState s, long now) {
    Map<String, Behind> behind = new TreeMap<>();
    for (Map.Entry<String, Long> e : s.report.revisions().entrySet()) {
      long current = currentPolicyRevision.applyAsLong(e.getKey());
      if (e.getValue() >= current) {
        s.behindSince.remove(e.getKey());
        continue;
      }
      long since = s.behindSince.computeIfAbsent(e.getKey(), k -> now);
      behind.put(e.getKey(), new Behind(e.getValue(), current, (now - since) / 1_000_000));
    }
    s.behindSince.keySet().retainAll(behind.keySet());
    return behind;
  }

  private void expire(long now) {
    instances.values().removeIf(s -> {
      boolean gone = now - s.lastNanos > 3 * s.report.interval().toNanos();
      if (gone && events != null) {
        events.add("client-left", s.report.service(), who(s.report) + " stopped reporting (last report "
            + (now - s.lastNanos) / 1_000_000 + " ms ago)");
      }
      return gone;
    });
  }

  private static String who(Report r) {
    return ReportChanges.who(r);
  }

  /** The number of slots of a window; rejects windows outside 10 s..10 min. */
  static int slots(Duration window) {
    if (window.compareTo(SLOT) < 0 || window.compareTo(MAX_WINDOW) > 0) {
      throw new IllegalArgumentException("window: " + window + " (expected: 10s..10m)");
    }
    return (int) Math.min(SLOTS, (window.toNanos() + SLOT.toNanos() - 1) / SLOT.toNanos());
  }
}
