package io.mesh4j.breaker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.mesh4j.Outcome;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.Durations;
import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The circuit breaker of one service under one {@link CircuitBreakerPolicy}: a resilience4j
 * {@link CircuitBreaker} plus what the mesh needs around it (typed refusals that say why, and state
 * changes reported to the event log and metrics). Obtained from {@link ServiceBreakers}.
 *
 * <p>Use per call: {@link #acquirePermission()} before sending, then exactly one
 * {@link #onFinish(long, Outcome)}.
 *
 * <h2>Why transitions are observed rather than subscribed to</h2>
 * resilience4j publishes state changes through its event publisher, but once any consumer is
 * registered it also builds an event object (with a {@code ZonedDateTime}) for every successful and
 * failed call. Instead, each call compares the breaker's state with the last one seen (two volatile
 * reads) and the thread that wins a compare-and-set on the change reports it. A change is therefore
 * reported by the next call (or {@link #state()} read) after it happens; for resilience4j's own timer
 * moving OPEN to HALF_OPEN that may be later than the change itself, never missed.
 */
public final class ServiceBreaker {
  /** Recorded as the error of a call answered with a 5xx: allocated once, no stack trace. */
  private static final Throwable SERVER_ERROR = new ServerErrorResponse();

  private final String service;
  private final CircuitBreakerPolicy policy;
  private final CircuitBreaker breaker;
  private final Ticker ticker;
  private final ServiceBreakers owner;
  private final AtomicReference<Observation> observed;
  /** Set once this breaker has been replaced; its late state changes are no longer reported. */
  private volatile boolean retired;

  /** The last state seen, when it was first seen, and why the breaker got there. Immutable. */
  private record Observation(State state, long sinceNanos, String reason) {}

  ServiceBreaker(String service, CircuitBreakerPolicy policy, CircuitBreaker breaker, Ticker ticker,
      ServiceBreakers owner) {
    this.service = service;
    this.policy = policy;
    this.breaker = breaker;
    this.ticker = ticker;
    this.owner = owner;
    this.observed = new AtomicReference<>(new Observation(breaker.getState(), ticker.nanoTime(), ""));
  }

  /** The logical service. */
  public String service() {
    return service;
  }

  /** The policy this breaker was built from. */
  public CircuitBreakerPolicy policy() {
    return policy;
  }

  /** The resilience4j breaker, for its metrics (failure rate, buffered calls...). */
  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  /** The breaker's current state: CLOSED, OPEN or HALF_OPEN. */
  public State state() {
    observe();
    return breaker.getState();
  }

  /**
   * Asks for permission to send a call.
   *
   * @return the start time, to pass to {@link #onFinish}
   * @throws CircuitOpenException when the breaker is open, or half-open with all trial calls taken;
   *     then nothing must be sent and {@code onFinish} must not be called
   */
  public long acquirePermission() throws CircuitOpenException {
    boolean permitted = breaker.tryAcquirePermission();
    observe(); // an OPEN breaker whose wait is over just moved to HALF_OPEN
    if (!permitted) {
      throw refusal();
    }
    return ticker.nanoTime();
  }

  /**
   * Records how a permitted call ended. {@link Outcome#FAILURE} and {@link Outcome#TIMEOUT} count as
   * failures; {@link Outcome#SUCCESS} as a success; either may also be a slow call, measured from
   * {@code startNanos}. {@link Outcome#CANCELLED} (the caller gave up, or nothing was sent) records
   * nothing and hands the permission back, which matters when half-open: it frees a trial slot.
   */
  public void onFinish(long startNanos, Outcome outcome) {
    long elapsed = ticker.nanoTime() - startNanos;
    switch (outcome) {
      case SUCCESS -> breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
      case FAILURE, TIMEOUT -> breaker.onError(elapsed, TimeUnit.NANOSECONDS, SERVER_ERROR);
      case CANCELLED -> breaker.releasePermission();
    }
    observe();
  }

  /** Stops reporting state changes: this breaker was replaced after a policy change. */
  void retire() {
    retired = true;
  }

  /** Reports a state change once, from the thread that wins the compare-and-set. */
  private void observe() {
    Observation seen = observed.get();
    State now = breaker.getState();
    if (now == seen.state()) {
      return;
    }
    Observation next = new Observation(now, ticker.nanoTime(), reason(seen.state(), now));
    if (observed.compareAndSet(seen, next) && !retired) {
      owner.transitioned(this, seen.state(), now, next.reason());
    }
  }

  private String reason(State from, State to) {
    if (to != State.OPEN) {
      return "";
    }
    CircuitBreaker.Metrics m = breaker.getMetrics();
    String over = from == State.HALF_OPEN
        ? "over " + m.getNumberOfBufferedCalls() + " trial calls"
        : "over the last " + policy.window().getSeconds() + "s";
    float failureRate = m.getFailureRate();
    float slowRate = m.getSlowCallRate();
    if (failureRate >= policy.failureRateThreshold()) {
      return "failure rate " + percent(failureRate) + " >= " + policy.failureRateThreshold() + "% " + over;
    }
    if (slowRate >= policy.slowCallRateThreshold()) {
      return "slow-call rate " + percent(slowRate) + " >= " + policy.slowCallRateThreshold() + "% (calls slower than "
          + Durations.format(policy.slowCallDuration()) + ") " + over;
    }
    return "failure rate " + percent(failureRate) + ", slow-call rate " + percent(slowRate) + " " + over;
  }

  private CircuitOpenException refusal() {
    Observation o = observed.get();
    State state = breaker.getState();
    if (state == State.HALF_OPEN) {
      return new CircuitOpenException(service, state, Duration.ZERO, "circuit breaker is HALF_OPEN: its "
          + policy.halfOpenCalls() + " trial call(s) are in flight and decide whether it closes; other calls fail"
          + " fast until then");
    }
    if (state == State.CLOSED) {
      // Refused while half-open, then the trial calls closed it before this message was built.
      return new CircuitOpenException(service, State.HALF_OPEN, Duration.ZERO, "circuit breaker was HALF_OPEN with"
          + " its " + policy.halfOpenCalls() + " trial call(s) in flight (it has closed since); retry now");
    }
    long left = policy.openDuration().toNanos(); // the bound, if this thread has not seen it open yet
    String why = "";
    if (o.state() == State.OPEN) {
      left = Math.max(0, policy.openDuration().toNanos() - (ticker.nanoTime() - o.sinceNanos()));
      why = o.reason().isEmpty() ? "" : " (" + o.reason() + ")";
    }
    return new CircuitOpenException(service, state, Duration.ofNanos(left), "circuit breaker is " + state + why
        + "; calls fail fast for up to " + seconds(left));
  }

  static String percent(float rate) {
    return rate < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%%", rate).replace(".0%", "%");
  }

  /** "9.8 s" from one second up, "40 ms" below (rounded up, so "0 ms" only when nothing is left). */
  static String seconds(long nanos) {
    if (nanos >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
    return (nanos + 999_999) / 1_000_000 + " ms";
  }

  @Override
  public String toString() {
    return "ServiceBreaker{" + service + ", " + breaker.getState() + "}";
  }

  /** The error recorded for a 5xx answer: resilience4j wants a Throwable, the call produced a response. */
  private static final class ServerErrorResponse extends Exception {
    private static final long serialVersionUID = 1L;

    ServerErrorResponse() {
      super("5xx response", null, false, false);
    }
  }
}
