package io.mesh4j.http.internal;

import io.mesh4j.balance.EndpointStats;

/**
 * What the retry layer tells the attempt layer below it about one attempt, and what the attempt layer
 * reports back: the attempt number, the endpoint to avoid, the endpoint used.
 *
 * <p>Passed through a thread-local rather than a request tag because OkHttp runs an application
 * interceptor's {@code chain.proceed} synchronously on the calling thread, and a tag would cost a
 * request copy per call. The retry layer saves and restores any previous value, so nested calls on the
 * same thread cannot see each other's scope.
 */
final class AttemptScope {
  private static final ThreadLocal<AttemptScope> CURRENT = new ThreadLocal<>();

  int number = 1;
  /**
   * The call's plan as the routing layer routed it (route, faults, hedging, timeouts), the same for every
   * attempt of the call: retries and hedges stay in the subset the call was routed to. Null only in a
   * layer stack without the routing and retry layers.
   */
  io.mesh4j.CallPlan plan;
  EndpointStats avoid;
  EndpointStats used;
  /** The caller's context, for attempts running on another thread (hedges); null: the current one. */
  io.opentelemetry.context.Context context;
  /**
   * Set by the hedger before it cancels this attempt because another one answered first: the endpoint
   * was at least this slow, which the balancer must learn (recorded as a TIMEOUT, not a cancellation).
   */
  volatile boolean lostRace;
  /** Set by the attempt layer when the failure happened before the request was written. */
  boolean neverSent;

  static AttemptScope current() {
    return CURRENT.get();
  }

  /** Makes this scope current; returns the previous one, to be restored. */
  AttemptScope enter() {
    AttemptScope previous = CURRENT.get();
    CURRENT.set(this);
    return previous;
  }

  static void restore(AttemptScope previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }
}
