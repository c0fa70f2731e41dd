package io.mesh4j.grpc;

import io.mesh4j.CallPlan;
import io.mesh4j.balance.EndpointStats;

/**
 * What the mesh load balancer's picks of one call share: the call plan (route and faults), taken once by the client
 * interceptor, and the endpoint of the call's latest pick. Carried in the call's {@link io.grpc.CallOptions}
 * ({@link MeshCallOptions#CALL_PICKS}), so that every attempt of the call — gRPC's retries and hedges
 * pick again — stays in the subset the call was routed to and avoids the endpoint the previous attempt
 * went to, as on HTTP.
 *
 * <p>Thread-safety: {@code plan} is final; {@code lastUsed} is volatile, written by each pick of the
 * call. Two picks of one call racing (hedges) may each read the other's endpoint or the older one; either
 * way the avoidance is a preference ("if there is another"), never a correctness condition.
 */
final class CallPicks {
  /** The call's plan: its route and faults hold for every pick of the call. */
  final CallPlan plan;
  volatile EndpointStats lastUsed;

  CallPicks(CallPlan plan) {
    this.plan = plan;
  }
}
