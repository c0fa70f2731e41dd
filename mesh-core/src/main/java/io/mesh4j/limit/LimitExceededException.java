package io.mesh4j.limit;

import io.mesh4j.MeshException;
import java.time.Duration;
import java.util.Objects;

/**
 * A client-side limit of the service's policy refused the call: nothing was sent. The message names
 * the limit, its value and how long the call waited for room, for example
 * {@code service 'orders': concurrency limit reached: 8 calls in flight (fixed limit 8); waited 100 ms
 * (limits.maxWait 100ms); nothing was sent}.
 */
public final class LimitExceededException extends MeshException {
  private static final long serialVersionUID = 1L;

  /** Which limit refused the call. */
  public enum Limit {
    /** The token-bucket rate limit ({@code limits.ratePerSecond}, {@code limits.burst}). */
    RATE,
    /** The concurrency limit ({@code limits.concurrency}: fixed or adaptive). */
    CONCURRENCY
  }

  private final Limit limit;
  private final double value;
  private final Duration waited;

  /**
   * @param service the logical service
   * @param limit   which limit
   * @param value   the limit's value when it refused: calls per second, or calls in flight
   * @param waited  how long the call waited for room before giving up
   * @param message the details, without the service (the base class adds it)
   */
  public LimitExceededException(String service, Limit limit, double value, Duration waited, String message) {
    super(service, message);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.value = value;
    this.waited = Objects.requireNonNull(waited, "waited");
  }

  /** Which limit refused the call. */
  public Limit limit() {
    return limit;
  }

  /** The limit's value: calls per second ({@link Limit#RATE}) or calls in flight ({@link Limit#CONCURRENCY}). */
  public double value() {
    return value;
  }

  /** How long the call waited for room before it was refused (zero when it failed fast). */
  public Duration waited() {
    return waited;
  }
}
