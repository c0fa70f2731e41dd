package io.mesh4j.policy;

import java.time.Duration;

/**
 * A service-level circuit breaker (resilience4j underneath). Over a sliding {@code window}, once at
 * least {@code minimumCalls} calls were made, a failure rate &gt;= {@code failureRateThreshold}% or a
 * slow-call rate &gt;= {@code slowCallRateThreshold}% opens the breaker for {@code openDuration}; calls
 * then fail at once with {@code CircuitOpenException}. After that, {@code halfOpenCalls} trial calls
 * decide whether it closes or opens again.
 *
 * @param enabled               default true
 * @param failureRateThreshold  default 50 (1..100)
 * @param slowCallRateThreshold default 100 (1..100; 100 means slow calls alone never open it)
 * @param slowCallDuration      a call slower than this is slow; default 10s
 * @param minimumCalls          default 20 (1..10000)
 * @param window                default 10s (1s..10m, whole seconds)
 * @param openDuration          default 10s
 * @param halfOpenCalls         default 3 (1..1000)
 */
public record CircuitBreakerPolicy(
    boolean enabled,
    int failureRateThreshold,
    int slowCallRateThreshold,
    Duration slowCallDuration,
    int minimumCalls,
    Duration window,
    Duration openDuration,
    int halfOpenCalls) {

  public static final CircuitBreakerPolicy DEFAULT = new CircuitBreakerPolicy(true, 50, 100,
      Duration.ofSeconds(10), 20, Duration.ofSeconds(10), Duration.ofSeconds(10), 3);

  public CircuitBreakerPolicy {
    Violations v = new Violations();
    validate(failureRateThreshold, slowCallRateThreshold, slowCallDuration, minimumCalls, window, openDuration,
        halfOpenCalls, "circuitBreaker", v);
    v.throwIfAny();
  }

  static void validate(int failureRate, int slowRate, Duration slowCall, int minimumCalls, Duration window,
      Duration open, int halfOpen, String p, Violations v) {
    v.check(failureRate >= 1 && failureRate <= 100, Violations.join(p, "failureRateThreshold"), failureRate,
        "1..100");
    v.check(slowRate >= 1 && slowRate <= 100, Violations.join(p, "slowCallRateThreshold"), slowRate, "1..100");
    Checks.positive(slowCall, Violations.join(p, "slowCallDuration"), v);
    v.check(minimumCalls >= 1 && minimumCalls <= 10_000, Violations.join(p, "minimumCalls"), minimumCalls,
        "1..10000");
    v.check(window != null && window.getNano() == 0 && window.getSeconds() >= 1 && window.getSeconds() <= 600,
        Violations.join(p, "window"), window == null ? "missing" : Durations.format(window),
        "whole seconds in [1s, 10m]");
    Checks.positive(open, Violations.join(p, "openDuration"), v);
    v.check(halfOpen >= 1 && halfOpen <= 1000, Violations.join(p, "halfOpenCalls"), halfOpen, "1..1000");
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** Builds a {@link CircuitBreakerPolicy}. */
  public static final class Builder {
    private boolean enabled;
    private int failureRateThreshold;
    private int slowCallRateThreshold;
    private Duration slowCallDuration;
    private int minimumCalls;
    private Duration window;
    private Duration openDuration;
    private int halfOpenCalls;

    private Builder(CircuitBreakerPolicy f) {
      enabled = f.enabled;
      failureRateThreshold = f.failureRateThreshold;
      slowCallRateThreshold = f.slowCallRateThreshold;
      slowCallDuration = f.slowCallDuration;
      minimumCalls = f.minimumCalls;
      window = f.window;
      openDuration = f.openDuration;
      halfOpenCalls = f.halfOpenCalls;
    }

    public Builder enabled(boolean value) {
      enabled = value;
      return this;
    }

    public Builder failureRateThreshold(int value) {
      failureRateThreshold = value;
      return this;
    }

    public Builder slowCalls(int rateThreshold, Duration duration) {
      slowCallRateThreshold = rateThreshold;
      slowCallDuration = duration;
      return this;
    }

    public Builder minimumCalls(int value) {
      minimumCalls = value;
      return this;
    }

    public Builder window(Duration value) {
      window = value;
      return this;
    }

    public Builder openDuration(Duration value) {
      openDuration = value;
      return this;
    }

    public Builder halfOpenCalls(int value) {
      halfOpenCalls = value;
      return this;
    }

    public CircuitBreakerPolicy build() {
      return new CircuitBreakerPolicy(enabled, failureRateThreshold, slowCallRateThreshold, slowCallDuration,
          minimumCalls, window, openDuration, halfOpenCalls);
    }
  }
}
