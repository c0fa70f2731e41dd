package io.mesh4j;

import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.Route;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the layers of one logical call decide from policy, taken once from one snapshot of the
 * service: the policy revision, the route and destination ({@link RouteKey}), the retry, hedging and
 * fault rules after the route's and the method's overrides, the total timeout and where it comes from,
 * and the per-attempt timeout. On HTTP every layer of a call reads its plan and never the runtime's
 * current policy, so a policy pushed while the call is in flight cannot split it across two revisions:
 * a retry of a call routed to the canary keeps the canary's faults, hedging and timeouts even if the
 * route is gone by then. On gRPC the client interceptor takes the plan and every pick of the call reads
 * its route and faults; gRPC's own retries, hedging and timeout come from the channel's service config,
 * which follows the policy in force when gRPC starts the call.
 *
 * <p>Immutable and thread-safe. {@link ServiceRuntime#plan()} returns the snapshot's plan and
 * {@link ServiceRuntime#route(CallPlan, String, String, java.util.function.UnaryOperator)} one of its
 * routed plans, both made when the policy arrived, so a call with no method overrides allocates no plan.
 *
 * <p>Precedence, the same on both transports: the method's override (an annotated client's
 * {@code @Retry}, {@code @Hedge}, {@code @Timeout}) over the matched route's section over the service's.
 */
public final class CallPlan {
  /** Where the total timeout comes from when nothing overrides it. */
  public static final String POLICY_TOTAL = "policy timeouts.total";

  private final Snapshot snapshot;
  private final RouteKey route;
  private final RetryPolicy retryPolicy;
  /** The method's hedging, kept so that routing the plan again (after a redirect) keeps it on top. */
  private final HedgePolicy hedgingOverride;
  private final HedgePolicy hedging;
  private final FaultPolicy faults;
  private final Duration total;
  private final String totalSource;

  /** The part shared by every plan of one policy revision. */
  private static final class Snapshot {
    final String service;
    final ServicePolicy policy;
    final long revision;
    final ServiceRuntime.Retries retries;
    /** Per route, per destination: the plan of a call routed there, with no method overrides. */
    final CallPlan[][] routed;
    /** The plan of a call no route matched, with no method overrides. */
    CallPlan unrouted;

    Snapshot(String service, ServicePolicy policy, long revision, ServiceRuntime.Retries retries) {
      this.service = service;
      this.policy = policy;
      this.revision = revision;
      this.retries = retries;
      List<Route> routes = policy.routes();
      this.routed = new CallPlan[routes.size()][];
    }
  }

  private CallPlan(Snapshot snapshot, RouteKey route, RetryPolicy retryPolicy, HedgePolicy hedgingOverride,
      Duration total, String totalSource) {
    this.snapshot = snapshot;
    this.route = route;
    this.retryPolicy = retryPolicy;
    this.hedgingOverride = hedgingOverride;
    Route r = route.route();
    HedgePolicy h = r != null && r.hedging() != null ? r.hedging() : snapshot.policy.hedging();
    this.hedging = hedgingOverride != null ? hedgingOverride : h;
    this.faults = r != null && r.faults() != null ? r.faults() : snapshot.policy.faults();
    this.total = total;
    this.totalSource = totalSource;
  }

  /** The unrouted plan of a policy, with the plans of every route and destination made up front. */
  static CallPlan of(String service, ServicePolicy policy, long revision, ServiceRuntime.Retries retries) {
    Snapshot s = new Snapshot(service, policy, revision, retries);
    Duration total = policy.timeouts().total();
    List<Route> routes = policy.routes();
    for (int r = 0; r < routes.size(); r++) {
      List<Route.Destination> ds = routes.get(r).destinations();
      s.routed[r] = new CallPlan[ds.size()];
      for (int d = 0; d < ds.size(); d++) {
        RouteKey key = new RouteKey(policy, r, d, routes.get(r), ds.get(d));
        s.routed[r][d] = new CallPlan(s, key, retries.policy(), null, total, POLICY_TOTAL);
      }
    }
    s.unrouted = new CallPlan(s, RouteKey.NONE, retries.policy(), null, total, POLICY_TOTAL);
    return s.unrouted;
  }

  /** This plan routed to destination {@code d} of route {@code r} of its own policy, overrides kept. */
  CallPlan routedTo(int r, int d) {
    return rebase(snapshot.routed[r][d]);
  }

  /** This plan with no route (a redirect to a path no route matches), overrides kept. */
  CallPlan unrouted() {
    return rebase(snapshot.unrouted);
  }

  private CallPlan rebase(CallPlan base) {
    if (retryPolicy == base.retryPolicy && hedgingOverride == null && total == base.total
        && totalSource.equals(base.totalSource)) {
      return base;
    }
    return new CallPlan(snapshot, base.route, retryPolicy, hedgingOverride, total, totalSource);
  }

  /**
   * This plan with a method's overrides; each argument null keeps this plan's.
   *
   * @param retryPolicy the method's retry rules (its {@code @Retry} applied to {@link #retryPolicy()})
   * @param hedging     the method's hedging; it wins over the route's and the service's
   * @param total       the method's total timeout
   * @param totalSource where {@code total} comes from, for error messages ("the method's @Timeout")
   */
  public CallPlan withOverrides(RetryPolicy retryPolicy, HedgePolicy hedging, Duration total, String totalSource) {
    if (total != null) {
      Objects.requireNonNull(totalSource, "totalSource");
    }
    if ((retryPolicy == null || retryPolicy == this.retryPolicy) && hedging == null && total == null) {
      return this;
    }
    return new CallPlan(snapshot, route,
        retryPolicy != null ? retryPolicy : this.retryPolicy,
        hedging != null ? hedging : hedgingOverride,
        total != null ? total : this.total,
        total != null ? totalSource : this.totalSource);
  }

  /** The service the plan is for. */
  public String service() {
    return snapshot.service;
  }

  /** The policy the plan was taken from (the whole section; prefer the resolved accessors). */
  public ServicePolicy policy() {
    return snapshot.policy;
  }

  /** The revision of {@link #policy()} (0: the mesh default). */
  public long policyRevision() {
    return snapshot.revision;
  }

  /** The route and destination of the call, or {@link RouteKey#NONE}. */
  public RouteKey route() {
    return route;
  }

  /** The retry budget and backoff of the snapshot (the service's; a method cannot change them). */
  public ServiceRuntime.Retries retries() {
    return snapshot.retries;
  }

  /** The retry rules of the call: the method's override, else the service's. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** The hedging of the call: the method's, else the route's, else the service's. */
  public HedgePolicy hedging() {
    return hedging;
  }

  /** The faults injected into the call: the route's section, else the service's. */
  public FaultPolicy faults() {
    return faults;
  }

  /** The call's own total timeout: the method's, else the policy's. */
  public Duration totalTimeout() {
    return total;
  }

  /** Where {@link #totalTimeout()} comes from: {@value #POLICY_TOTAL} or the override's source. */
  public String totalTimeoutSource() {
    return totalSource;
  }

  /** The per-attempt timeout, or null when attempts are bounded by the total only. */
  public Duration perAttemptTimeout() {
    return snapshot.policy.timeouts().perAttempt();
  }

  @Override
  public String toString() {
    return "CallPlan{" + snapshot.service + " r" + snapshot.revision + ", " + route + ", retries="
        + (retryPolicy.enabled() ? retryPolicy.maxAttempts() : 1) + ", hedging=" + hedging.enabled()
        + ", faults=" + faults.active() + ", total=" + total + " (" + totalSource + ")}";
  }
}
