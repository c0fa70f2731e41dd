package io.mesh4j.breaker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.mesh4j.MeshException;
import java.time.Duration;
import java.util.Objects;

/**
 * The service's circuit breaker refused the call: nothing was sent. The message says why the breaker
 * is open and for how long calls will keep failing fast, for example
 * {@code service 'orders': circuit breaker is OPEN (failure rate 62.5% >= 50% over the last 10s);
 * calls fail fast for up to 9.8 s}.
 *
 * <p>Retrying at once is pointless: the breaker refuses calls until {@link #retryAfter()} has passed
 * (OPEN), or until its trial calls have decided (HALF_OPEN).
 */
public final class CircuitOpenException extends MeshException {
  private static final long serialVersionUID = 1L;
  private final CircuitBreaker.State state;
  private final Duration retryAfter;

  /**
   * @param service    the logical service
   * @param state      the breaker's state: {@code OPEN} or {@code HALF_OPEN} (trial calls all taken)
   * @param retryAfter how long until the breaker lets a trial call through; {@link Duration#ZERO} when
   *                   it is half-open and waiting for its trial calls
   * @param message    why the breaker refused, without the service (the base class adds it)
   */
  public CircuitOpenException(String service, CircuitBreaker.State state, Duration retryAfter, String message) {
    super(service, message);
    this.state = Objects.requireNonNull(state, "state");
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
  }

  /** The breaker's state when it refused the call. */
  public CircuitBreaker.State state() {
    return state;
  }

  /** At most how long the breaker will keep refusing calls; zero when half-open. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
