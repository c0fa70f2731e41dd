package io.mesh4j;

/** How one attempt on an endpoint ended, as the protocol adapter classifies it. */
public enum Outcome {
  /** An answer that says the endpoint is healthy (for HTTP: anything but 5xx). */
  SUCCESS,
  /**
   * The endpoint failed: connection refused or reset, 5xx, or the attempt exceeded the policy's
   * per-attempt timeout (the endpoint's own slowness). Counts toward outlier ejection.
   */
  FAILURE,
  /**
   * The call's deadline cut the attempt short: the latency is recorded (the endpoint was at least that
   * slow) but it does not count toward ejection, since a short caller deadline says nothing about the
   * endpoint's health.
   */
  TIMEOUT,
  /** The caller cancelled: nothing is learned about the endpoint. */
  CANCELLED
}
