package io.mesh4j;

import io.mesh4j.policy.Route;
import io.mesh4j.policy.ServicePolicy;

/**
 * The routing decision of one call: the route that matched and the destination drawn for it (for a
 * weighted split), or {@link #NONE}. Made once per logical call by {@link ServiceRuntime#route} and
 * kept for every attempt of the call, so retries and hedges stay in the subset the call was routed to
 * (a canary call's retry never lands on stable).
 *
 * <p>Immutable. It remembers the policy it was made under by identity: while that policy is in force
 * the runtime finds the destination's endpoints by index; after a policy change (even one that reuses
 * a revision number) it matches the destination's labels against the current endpoints instead of
 * trusting an index into another policy's routes.
 */
public final class RouteKey {
  /** No route matched: every endpoint of the service. */
  public static final RouteKey NONE = new RouteKey(null, -1, -1, null, null);

  final ServicePolicy policy;
  final int routeIndex;
  final int destinationIndex;
  private final Route route;
  private final Route.Destination destination;

  RouteKey(ServicePolicy policy, int routeIndex, int destinationIndex, Route route, Route.Destination destination) {
    this.policy = policy;
    this.routeIndex = routeIndex;
    this.destinationIndex = destinationIndex;
    this.route = route;
    this.destination = destination;
  }

  /** Whether a route matched. */
  public boolean matched() {
    return route != null;
  }

  /** The route that matched, or null for {@link #NONE}. */
  public Route route() {
    return route;
  }

  /** The destination drawn, or null for {@link #NONE}. */
  public Route.Destination destination() {
    return destination;
  }

  @Override
  public String toString() {
    return route == null ? "RouteKey{none}" : "RouteKey{" + route.name() + " -> " + destination.labels() + "}";
  }
}
