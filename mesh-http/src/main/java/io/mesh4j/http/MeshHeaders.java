package io.mesh4j.http;

/** The HTTP headers the mesh reads and writes. */
public final class MeshHeaders {
  private MeshHeaders() {}

  /** Request: the attempt number, 1 for the first attempt, so servers can see retries and hedges. */
  public static final String ATTEMPT = "mesh-attempt";

  /**
   * Response: the mesh client that produced this response gave up retrying (budget spent, attempts
   * exhausted, no time left). A mesh client receiving it does not retry either, so one failing service
   * deep in a call graph does not cause retries at every hop (Finagle's NonRetryable, Linkerd's
   * {@code l5d-retryable}). A service relaying a downstream failure should copy it onto its own answer.
   */
  public static final String NO_RETRY = "mesh-no-retry";

  /** Request: the caller's remaining time in milliseconds (see {@code DeadlinePropagator}). */
  public static final String TIMEOUT_MS = io.mesh4j.deadline.DeadlinePropagator.HEADER;

  /** Request: marks the request idempotent (any non-empty value), like {@link Idempotency}. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
}
