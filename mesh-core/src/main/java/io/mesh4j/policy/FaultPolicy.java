package io.mesh4j.policy;

import java.time.Duration;

/**
 * Fault injection, applied per attempt so the caller's own resilience (retries, timeouts, breaker) is
 * exercised: delay {@code delayPercent}% of attempts by {@code delay}, and answer
 * {@code abortPercent}% with {@code abortStatus} without sending them.
 *
 * @param delayPercent 0..100, default 0
 * @param delay        default 0s
 * @param abortPercent 0..100, default 0
 * @param abortStatus  200..599, default 503
 */
public record FaultPolicy(double delayPercent, Duration delay, double abortPercent, int abortStatus) {
  public static final FaultPolicy NONE = new FaultPolicy(0, Duration.ZERO, 0, 503);

  public FaultPolicy {
    Violations v = new Violations();
    validate(delayPercent, delay, abortPercent, abortStatus, "faults", v);
    v.throwIfAny();
  }

  static void validate(double delayPercent, Duration delay, double abortPercent, int status, String p,
      Violations v) {
    Checks.percent(delayPercent, Violations.join(p, "delay.percent"), v);
    Checks.nonNegative(delay, Violations.join(p, "delay.duration"), v);
    Checks.percent(abortPercent, Violations.join(p, "abort.percent"), v);
    v.check(status >= 200 && status <= 599, Violations.join(p, "abort.status"), status, "an HTTP status 200..599");
  }

  /** Whether this injects anything. */
  public boolean active() {
    return (delayPercent > 0 && !delay.isZero()) || abortPercent > 0;
  }

  public static FaultPolicy delay(double percent, Duration delay) {
    return new FaultPolicy(percent, delay, 0, 503);
  }

  public static FaultPolicy abort(double percent, int status) {
    return new FaultPolicy(0, Duration.ZERO, percent, status);
  }
}
