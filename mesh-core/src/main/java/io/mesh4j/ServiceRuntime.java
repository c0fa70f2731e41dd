package io.mesh4j;

import io.mesh4j.balance.Balancer;
import io.mesh4j.balance.Balancers;
import io.mesh4j.balance.Candidates;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.balance.RecentLatencies;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.EndpointSet;
import io.mesh4j.discovery.Subscription;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.Route;
import io.mesh4j.retry.Backoff;
import io.mesh4j.retry.RetryBudget;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.VersionedPolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.common.Attributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The mesh's state for one logical service: its policy, its endpoints with their statistics, and the
 * balancer. Protocol adapters call {@link #pick}, then {@link #onStart} and {@link #onFinish} around
 * each attempt.
 *
 * <h2>Concurrency</h2>
 * Everything a request reads is one immutable {@link State} behind a volatile field: policy,
 * balancer, and the candidate arrays (all endpoints, and those not ejected). Changes — a new endpoint
 * set, a new policy revision, an ejection, a readmission — build a new State under {@code lock} and
 * publish it with one volatile write, so a request sees either the old state or the new one, never a
 * mix, and never takes the lock. The lock is taken only on those rare events: an endpoint crossing the
 * failure threshold, or the first pick after an ejection has expired (with {@code tryLock}: a request
 * that finds another thread rebuilding goes on with the current state).
 */
public final class ServiceRuntime {
  private final String name;
  private final Ticker ticker;
  private final RandomSource random;
  private final MeshTelemetry telemetry;
  private final String discoveryName;
  private final Consumer<String> eventLog;
  private final ReentrantLock lock = new ReentrantLock();
  /** Stats by address, so statistics survive endpoint-set updates. Guarded by {@code lock}. */
  private final Map<String, EndpointStats> statsByAddress = new HashMap<>();
  private final Attributes serviceAttributes;
  private final ServicePolicy defaultPolicy;

  private volatile State state;
  /** The source histories the policy and the endpoint set in force come from. Guarded by {@code lock}. */
  private String policyHistory = "";
  private String endpointsHistory = "";
  /** Held by the mesh while it subscribes this runtime; see {@code Mesh.open}. */
  final Object opening = new Object();
  /** Set by the mesh once this runtime's policy and discovery subscriptions are made. */
  volatile boolean subscribed;
  private final RecentLatencies latencies;
  /** Told after the endpoint set or the policy changed; copy-on-write because changes are rare. */
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  /** Retries and hedges sent since the last control-plane report (LongAdder: no contention on the call path). */
  private final LongAdder retriesSent = new LongAdder();
  private final LongAdder hedgesSent = new LongAdder();
  /** Endpoints removed from discovery and not reported since (guarded by {@code lock}). */
  private final List<EndpointStats> departed = new ArrayList<>();
  private static final int MAX_DEPARTED = 1_000;

  /**
   * What the retry layer needs, built from one {@link RetryPolicy}.
   *
   * @param policy  the section they were built from
   * @param budget  this client's retry budget for the service
   * @param backoff jittered exponential backoff
   */
  public record Retries(RetryPolicy policy, RetryBudget budget, Backoff backoff) {}

  /** Endpoints to pick from: all of them, those not ejected, and whether panic mode applies. */
  private static final class Pool {
    final Candidates all;
    final Candidates healthy;
    final boolean panic;

    Pool(List<EndpointStats> endpoints, int panicThresholdPercent) {
      List<EndpointStats> ok = new ArrayList<>(endpoints.size());
      for (EndpointStats e : endpoints) {
        if (!e.isEjected()) {
          ok.add(e);
        }
      }
      this.all = Candidates.of(endpoints);
      this.healthy = Candidates.of(ok);
      this.panic = !endpoints.isEmpty()
          && (ok.isEmpty() || ok.size() * 100L < (long) endpoints.size() * panicThresholdPercent);
    }

    Candidates candidates() {
      return panic ? all : healthy;
    }
  }

  /** One consistent view of the service, immutable. */
  private static final class State {
    final ServicePolicy policy;
    /**
     * The retry budget and backoff of this policy: part of the one snapshot, so a call never pairs one
     * revision's retry rules with another's budget. Carried over (budget kept) while the retries section
     * is unchanged; a new section starts a new budget.
     */
    final Retries retries;
    final long policyRevision;
    final long endpointsRevision;
    final Balancer balancer;
    final Pool everything;
    /** Per route, per destination: the endpoints whose labels match. */
    final Pool[][] subsets;
    final Candidates all;
    final Candidates healthy;
    final boolean panic;
    final boolean anyEjected;
    final long nextReadmitNanos;

    /** The plan of a call under this policy (routed plans hang off it): made once per revision. */
    final CallPlan plan;

    State(CallPlan plan, long endpointsRevision, Balancer balancer, List<EndpointStats> endpoints) {
      this.plan = plan;
      this.policy = plan.policy();
      this.retries = plan.retries();
      this.policyRevision = plan.policyRevision();
      ServicePolicy policy = this.policy;
      this.endpointsRevision = endpointsRevision;
      this.balancer = balancer;
      int threshold = policy.outlier().panicThresholdPercent();
      this.everything = new Pool(endpoints, threshold);
      this.all = everything.all;
      this.healthy = everything.healthy;
      this.panic = everything.panic;
      boolean ejected = false;
      long next = 0;
      for (EndpointStats e : endpoints) {
        if (e.isEjected()) {
          if (!ejected || e.ejectedUntilNanos() - next < 0) {
            next = e.ejectedUntilNanos();
          }
          ejected = true;
        }
      }
      this.anyEjected = ejected;
      this.nextReadmitNanos = next;
      List<Route> routes = policy.routes();
      this.subsets = new Pool[routes.size()][];
      for (int r = 0; r < routes.size(); r++) {
        List<Route.Destination> ds = routes.get(r).destinations();
        subsets[r] = new Pool[ds.size()];
        for (int d = 0; d < ds.size(); d++) {
          subsets[r][d] = new Pool(matching(endpoints, ds.get(d).labels()), threshold);
        }
      }
    }

    List<EndpointStats> endpoints() {
      List<EndpointStats> list = new ArrayList<>(all.size());
      for (int i = 0; i < all.size(); i++) {
        list.add(all.get(i));
      }
      return list;
    }
  }

  ServiceRuntime(String name, ServicePolicy defaultPolicy, Ticker ticker, RandomSource random,
      MeshTelemetry telemetry, String discoveryName, Consumer<String> eventLog) {
    this.name = name;
    this.ticker = ticker;
    this.random = random;
    this.telemetry = telemetry;
    this.discoveryName = discoveryName;
    this.eventLog = eventLog;
    this.serviceAttributes = Attributes.of(MeshTelemetry.SERVICE, name);
    this.defaultPolicy = defaultPolicy;
    this.latencies = new RecentLatencies(ticker);
    this.state = new State(CallPlan.of(name, defaultPolicy, 0, retriesFor(defaultPolicy.retries())), -1,
        Balancers.create(defaultPolicy.balancer(), ticker, random), List.of());
  }

  /** The logical service name. */
  public String name() {
    return name;
  }

  /** The policy in force. */
  public ServicePolicy policy() {
    return state.policy;
  }

  /** The revision of the policy in force (0: the mesh default, no source has delivered one). */
  public long policyRevision() {
    return state.policyRevision;
  }

  /** Whether panic mode is on: too few endpoints available, so ejected ones are used too. */
  public boolean panicMode() {
    return state.panic;
  }

  /** A snapshot of every endpoint's statistics, for status pages and health checks. */
  public List<EndpointStats> endpoints() {
    return state.endpoints();
  }

  /** Attributes naming this service, cached for metrics. */
  public Attributes attributes() {
    return serviceAttributes;
  }

  /**
   * Picks the endpoint for the next attempt.
   *
   * @param avoid an endpoint not to use if there is another (the one that just failed), or null
   * @param trace receives the balancer's reasons when non-null
   * @throws NoEndpointsException when discovery knows no endpoint of this service
   */
  public EndpointStats pick(EndpointStats avoid, PickTrace trace) throws NoEndpointsException {
    return pick(RouteKey.NONE, avoid, trace);
  }

  /**
   * The route of a call made now: {@code route(plan(), method, path, header).route()}. Transports take
   * the whole {@link CallPlan} instead, so that the route and the rest of the call's rules come from one
   * policy revision.
   *
   * @param header looks up a request header by lower-case name (null when absent)
   */
  public RouteKey route(String method, String path, UnaryOperator<String> header) {
    return route(plan(), method, path, header).route();
  }

  /**
   * The plan of a call made now, unrouted: one snapshot of the policy in force, with its retry budget,
   * timeouts, hedging and faults. Take it once per logical call and give every layer of the call this
   * plan (or the one {@link #route(CallPlan, String, String, UnaryOperator)} makes of it). Allocates
   * nothing: the plan is made when the policy arrives.
   */
  public CallPlan plan() {
    return state.plan;
  }

  /**
   * Routing (layer 3) within {@code plan}'s own policy, not the one in force now: the first of its
   * routes matching the request and, for a weighted split, the destination drawn at random by weight.
   * Returns the plan routed there (the route's faults and hedging in force, the plan's overrides kept),
   * or {@code plan} unrouted when no route matches.
   *
   * @param header looks up a request header by lower-case name (null when absent)
   */
  public CallPlan route(CallPlan plan, String method, String path, UnaryOperator<String> header) {
    List<Route> routes = plan.policy().routes();
    for (int r = 0; r < routes.size(); r++) {
      Route route = routes.get(r);
      if (route.matches(method, path, header)) {
        List<Route.Destination> ds = route.destinations();
        int d = 0;
        if (ds.size() > 1) {
          int point = random.nextInt(100);
          for (int acc = ds.get(0).weight(); point >= acc && d < ds.size() - 1; acc += ds.get(++d).weight()) {
            // walk to the destination whose weight interval holds the point
          }
        }
        return plan.routedTo(r, d);
      }
    }
    return plan.route().matched() ? plan.unrouted() : plan;
  }

  /**
   * Picks the endpoint for the next attempt among those the route selected.
   *
   * @param routeKey from {@link #route}, or {@link RouteKey#NONE}
   * @param avoid an endpoint not to use if there is another (the one that just failed), or null
   * @param trace receives the balancer's reasons when non-null
   * @throws NoEndpointsException when no endpoint is known, or none matches the route's labels
   */
  public EndpointStats pick(RouteKey routeKey, EndpointStats avoid, PickTrace trace) throws NoEndpointsException {
    State s = state;
    if (s.anyEjected && ticker.nanoTime() - s.nextReadmitNanos >= 0) {
      s = readmitDue();
    }
    Pool pool = s.everything;
    if (routeKey.matched()) {
      pool = routeKey.policy == s.policy
          ? s.subsets[routeKey.routeIndex][routeKey.destinationIndex]
          // The policy changed since the call was routed: the same destination, by its labels, among the
          // endpoints of now (rare, so built here rather than kept).
          : new Pool(matching(s.endpoints(), routeKey.destination().labels()),
              s.policy.outlier().panicThresholdPercent());
      if (pool.all.size() == 0) {
        throw new NoEndpointsException(name, discoveryName, routeKey.route().name(),
            routeKey.destination().labels());
      }
    }
    Candidates c = pool.candidates();
    if (c.size() == 0) {
      throw new NoEndpointsException(name, discoveryName);
    }
    if (trace != null) {
      trace.candidates(pool.healthy.size(), pool.all.size(), pool.panic);
    }
    return s.balancer.pick(c, avoid, trace);
  }

  private static List<EndpointStats> matching(List<EndpointStats> endpoints, Map<String, String> labels) {
    List<EndpointStats> matching = new ArrayList<>();
    for (EndpointStats e : endpoints) {
      if (e.endpoint().labels().entrySet().containsAll(labels.entrySet())) {
        matching.add(e);
      }
    }
    return matching;
  }

  /** Counts a retry sent for a call to this service (read by the control-plane report). */
  public void countRetry() {
    retriesSent.increment();
  }

  /** Counts a hedge (backup attempt) sent for a call to this service (read by the control-plane report). */
  public void countHedge() {
    hedgesSent.increment();
  }

  /**
   * Endpoints removed from discovery since the last call (at most {@value #MAX_DEPARTED}), whose traffic
   * counters still hold attempts not reported yet; the list is emptied.
   */
  public List<EndpointStats> drainDeparted() {
    lock.lock();
    try {
      List<EndpointStats> out = List.copyOf(departed);
      departed.clear();
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Retries counted by {@link #countRetry} since the last call, which resets the count. */
  public long drainRetries() {
    return retriesSent.sumThenReset();
  }

  /** Hedges counted by {@link #countHedge} since the last call, which resets the count. */
  public long drainHedges() {
    return hedgesSent.sumThenReset();
  }

  /** Call when an attempt is sent to {@code e}; returns the start time to pass to {@link #onFinish}. */
  public long onStart(EndpointStats e) {
    e.onStart();
    return ticker.nanoTime();
  }

  /** Call once when the attempt started with {@link #onStart} has its answer (or failed). */
  public void onFinish(EndpointStats e, long startNanos, Outcome outcome) {
    long now = ticker.nanoTime();
    State s = state;
    if (outcome != Outcome.CANCELLED) {
      e.observe(now - startNanos, now, s.policy.balancer().decay().toNanos());
    }
    e.traffic().record(outcome, now - startNanos);
    if (outcome == Outcome.SUCCESS && latencies.wanted()) {
      // Only services whose calls hedge at a percentile (policy, route or method) pay for the sample.
      latencies.record(now - startNanos);
    }
    boolean counted = outcome == Outcome.SUCCESS || outcome == Outcome.FAILURE;
    int failures = e.onFinish(outcome == Outcome.FAILURE, counted);
    OutlierPolicy op = s.policy.outlier();
    if (outcome == Outcome.FAILURE && op.enabled() && failures >= op.consecutiveFailures()) {
      considerEjection(e, now);
    }
  }

  /**
   * Reports that {@code e} could not be reached outside any request attempt — a gRPC subchannel's
   * connection attempt failed, say. It counts toward outlier ejection exactly like a failed attempt (the
   * same consecutive-failure threshold, ejection time, cap and panic rules), so an endpoint that refuses
   * connections is ejected whether or not requests were sent to it, as on HTTP. It is counted in the
   * endpoint's {@code requests()} and {@code failures()} like an attempt, records no latency and leaves
   * the in-flight count as it was.
   */
  public void onUnreachable(EndpointStats e) {
    e.onStart(); // onFinish closes an attempt; this pair leaves pending as it was
    int failures = e.onFinish(true, true);
    OutlierPolicy op = state.policy.outlier();
    if (op.enabled() && failures >= op.consecutiveFailures()) {
      considerEjection(e, ticker.nanoTime());
    }
  }

  /** Whether {@code s} already has as many endpoints ejected as its outlier policy allows. */
  private static boolean ejectionCapReached(State s) {
    OutlierPolicy op = s.policy.outlier();
    int total = s.all.size();
    int ejected = total - s.healthy.size();
    int max = op.maxEjectionPercent() == 0 ? 0 : Math.max(1, total * op.maxEjectionPercent() / 100);
    return ejected >= max;
  }

  private void considerEjection(EndpointStats e, long now) {
    // Checked on the snapshot first, without the lock: during an outage every failure crosses the
    // threshold, and once the cap is reached none of them may take the lock for nothing.
    if (e.isEjected() || ejectionCapReached(state)) {
      return;
    }
    lock.lock();
    try {
      State s = state;
      if (e.isEjected() || statsByAddress.get(e.endpoint().address()) != e) {
        return; // already ejected, or no longer part of the service
      }
      OutlierPolicy op = s.policy.outlier();
      if (ejectionCapReached(s)) {
        return; // cap reached: keep it in rotation; P2C already steers away from a failing endpoint
      }
      long duration = e.eject(now, op);
      int times = e.timesEjected();
      publish(s, s.endpointsRevision, s.endpoints());
      if (telemetry.metricsEnabled()) {
        telemetry.ejections().add(1, Attributes.of(MeshTelemetry.SERVICE, name,
            MeshTelemetry.ENDPOINT, e.endpoint().address()));
      }
      eventLog.accept("service '" + name + "': ejected " + e.endpoint().address() + " for "
          + duration / 1_000_000 + " ms (ejection #" + times + ")");
    } finally {
      lock.unlock();
    }
  }

  private State readmitDue() {
    if (!lock.tryLock()) {
      return state; // another thread is rebuilding; this request uses the state it has
    }
    try {
      State s = state;
      long now = ticker.nanoTime();
      boolean changed = false;
      for (EndpointStats e : s.endpoints()) {
        if (e.readmitIfDue(now)) {
          changed = true;
          eventLog.accept("service '" + name + "': readmitted " + e.endpoint().address());
        }
      }
      if (changed) {
        publish(s, s.endpointsRevision, s.endpoints());
      }
      return state;
    } finally {
      lock.unlock();
    }
  }

  /** Discovery listener: a new endpoint set, statistics kept for addresses that remain. */
  void onEndpoints(EndpointSet set) {
    lock.lock();
    try {
      State s = state;
      if (set.revision() != 0 && set.revision() < s.endpointsRevision && set.history().equals(endpointsHistory)) {
        return; // never go backwards within one history of the source
      }
      endpointsHistory = set.history();
      long now = ticker.nanoTime();
      double seed = s.policy.balancer().defaultRtt().toNanos();
      Map<String, EndpointStats> next = new HashMap<>();
      List<EndpointStats> list = new ArrayList<>(set.endpoints().size());
      for (Endpoint ep : set.endpoints()) {
        EndpointStats old = statsByAddress.get(ep.address());
        EndpointStats st = old == null ? new EndpointStats(ep, seed, now)
            : old.endpoint().equals(ep) ? old : new EndpointStats(ep, old);
        next.put(ep.address(), st);
        list.add(st);
      }
      for (EndpointStats gone : statsByAddress.values()) {
        if (!next.containsKey(gone.endpoint().address()) && departed.size() < MAX_DEPARTED) {
          departed.add(gone); // its last counts (and attempts still in flight) go into the next report
        }
      }
      statsByAddress.clear();
      statsByAddress.putAll(next);
      publish(s, set.revision(), list);
    } finally {
      lock.unlock();
    }
    fireChanged();
  }

  /** Policy listener: swaps the policy in; a new balancer only when the balancer section changed. */
  void onPolicy(VersionedPolicy vp) {
    lock.lock();
    try {
      State s = state;
      if (vp.revision() < s.policyRevision && vp.history().equals(policyHistory)) {
        return; // never go backwards within one history of the source
      }
      policyHistory = vp.history();
      ServicePolicy policy = vp.policy() != null ? vp.policy() : defaultPolicy; // none: the mesh default
      Balancer balancer = policy.balancer().equals(s.policy.balancer()) ? s.balancer
          : Balancers.create(policy.balancer(), ticker, random);
      Retries retries = policy.retries().equals(s.retries.policy()) ? s.retries : retriesFor(policy.retries());
      state = new State(CallPlan.of(name, policy, vp.revision(), retries), s.endpointsRevision, balancer, s.endpoints());
    } finally {
      lock.unlock();
    }
    fireChanged();
  }

  /**
   * Registers {@code listener} to run after each change of this service's endpoint set or policy (not
   * on ejection or readmission, which the picks already reflect). It runs on the thread that applied
   * the change (a discovery or control-plane thread), outside any lock, so it may read {@link #endpoints()},
   * {@link #policy()} and {@link #policyRevision()}; it must not block. A listener that throws is
   * reported to the event log and kept.
   *
   * @return closing it removes the listener
   */
  public Subscription onChange(Runnable listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    changeListeners.add(listener);
    return () -> changeListeners.remove(listener);
  }

  private void fireChanged() {
    for (Runnable l : changeListeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        eventLog.accept("service '" + name + "': change listener failed: " + e);
      }
    }
  }

  private Retries retriesFor(RetryPolicy rp) {
    return new Retries(rp, new RetryBudget(rp.budgetTtl(), rp.budgetPercent() / 100.0, rp.budgetMinPerSecond(), ticker),
        new Backoff(rp.backoffBase(), rp.backoffCap(), random));
  }

  /** The retry budget and backoff for calls to this service (layer 5 reads it once per call). */
  public Retries retries() {
    return state.retries;
  }

  /**
   * The {@code percentile} of this service's recent successful attempt latencies, or -1 when too few
   * are known. The first call turns sampling on: whatever asks for a percentile (a service policy, a
   * route or an annotated method hedging at one) gets samples from then on.
   */
  public long latencyPercentileNanos(int percentile) {
    return latencies.percentileNanos(percentile);
  }

  /** The clock this runtime measures with. */
  public Ticker ticker() {
    return ticker;
  }

  /** The randomness of this runtime's balancers (also used for fault injection and routing splits). */
  public RandomSource random() {
    return random;
  }

  /** Publishes {@code s} with another endpoint list (ejection state, endpoint set); policy unchanged. */
  private void publish(State s, long endpointsRevision, List<EndpointStats> endpoints) {
    state = new State(s.plan, endpointsRevision, s.balancer, endpoints);
  }

  @Override
  public String toString() {
    State s = state;
    return "ServiceRuntime{" + name + ", endpoints=" + s.all.size() + ", available=" + s.healthy.size()
        + ", policyRevision=" + s.policyRevision + "}";
  }
}
