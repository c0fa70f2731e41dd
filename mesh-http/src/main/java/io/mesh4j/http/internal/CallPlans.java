package io.mesh4j.http.internal;

import io.mesh4j.CallPlan;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.http.MethodPolicy;
import okhttp3.Request;

/**
 * The {@link CallPlan} of the HTTP call running on this thread: taken once by the deadline layer (layer
 * 2, the first to need policy) and read by the layers below it, so that one call never mixes two policy
 * revisions. A thread-local, like {@link AttemptScope}, because OkHttp runs application interceptors
 * synchronously on the calling thread; the deadline layer saves and restores the previous value, so a
 * call made on the same thread by a layer below (a network interceptor) sees its own plan.
 */
final class CallPlans {
  private static final ThreadLocal<CallPlan> CURRENT = new ThreadLocal<>();
  static final String METHOD_TIMEOUT = "the method's @Timeout";

  private CallPlans() {}

  /**
   * The plan of a call to {@code runtime}'s service: the one the deadline layer took for this call, or,
   * when there is none for this service (a layer stack without the deadline layer, or a redirect to
   * another service), a new one with the request's method overrides.
   */
  static CallPlan of(ServiceRuntime runtime, Request request) {
    CallPlan current = CURRENT.get();
    if (current != null && current.service().equals(runtime.name())) {
      return current;
    }
    return take(runtime, request);
  }

  /** A new plan of the service's current policy, with an annotated client's per-method overrides. */
  static CallPlan take(ServiceRuntime runtime, Request request) {
    CallPlan plan = runtime.plan();
    MethodPolicy method = request.tag(MethodPolicy.class);
    if (method == null || method.isEmpty()) {
      return plan;
    }
    return plan.withOverrides(method.retries(plan.retryPolicy()), method.hedgingOverride().orElse(null),
        method.timeout().orElse(null), METHOD_TIMEOUT);
  }

  /** Makes {@code plan} the current call's; returns the previous one, for {@link #restore}. */
  static CallPlan enter(CallPlan plan) {
    CallPlan previous = CURRENT.get();
    CURRENT.set(plan);
    return previous;
  }

  /** Restores what {@link #enter} returned (set, never removed: no entry is allocated per call). */
  static void restore(CallPlan previous) {
    CURRENT.set(previous);
  }
}
