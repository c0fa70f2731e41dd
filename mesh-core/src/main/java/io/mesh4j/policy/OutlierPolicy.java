package io.mesh4j.policy;

import java.time.Duration;

/**
 * Per-endpoint outlier ejection (Envoy's {@code outlier_detection}, Finagle's failure accrual).
 * After {@code consecutiveFailures} failures in a row an endpoint is ejected for
 * {@code baseEjectionTime x times ejected}, capped at {@code maxEjectionTime}. At most
 * {@code maxEjectionPercent} of a service's endpoints (at least one) are ejected at once. When fewer
 * than {@code panicThresholdPercent} of the endpoints are available, the balancer ignores ejection
 * and uses every endpoint (panic mode) rather than fail or overload the few left.
 *
 * @param enabled                default true
 * @param consecutiveFailures    default 5, range 1..1000
 * @param baseEjectionTime       default 30s
 * @param maxEjectionTime        default 300s, >= baseEjectionTime
 * @param maxEjectionPercent     default 50, range 0..100
 * @param panicThresholdPercent  default 50, range 0..100
 */
public record OutlierPolicy(
    boolean enabled,
    int consecutiveFailures,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    int maxEjectionPercent,
    int panicThresholdPercent) {

  public static final OutlierPolicy DEFAULT =
      new OutlierPolicy(true, 5, Duration.ofSeconds(30), Duration.ofSeconds(300), 50, 50);

  public OutlierPolicy {
    Violations v = new Violations();
    validate(consecutiveFailures, baseEjectionTime, maxEjectionTime, maxEjectionPercent, panicThresholdPercent,
        "outlier", v);
    v.throwIfAny();
  }

  static void validate(int consecutiveFailures, Duration base, Duration max, int maxEjectionPercent,
      int panicThresholdPercent, String p, Violations v) {
    v.check(consecutiveFailures >= 1 && consecutiveFailures <= 1000, Violations.join(p, "consecutiveFailures"),
        consecutiveFailures, "1..1000");
    boolean baseOk = base != null && base.compareTo(Duration.ZERO) > 0;
    v.check(baseOk, Violations.join(p, "baseEjectionTime"), base == null ? "missing" : Durations.format(base),
        "a duration > 0");
    boolean maxOk = max != null && max.compareTo(Duration.ZERO) > 0;
    v.check(maxOk, Violations.join(p, "maxEjectionTime"), max == null ? "missing" : Durations.format(max),
        "a duration > 0");
    if (baseOk && maxOk) {
      v.check(max.compareTo(base) >= 0, Violations.join(p, "maxEjectionTime"), Durations.format(max),
          ">= outlier.baseEjectionTime (" + Durations.format(base) + ")");
    }
    v.check(maxEjectionPercent >= 0 && maxEjectionPercent <= 100, Violations.join(p, "maxEjectionPercent"),
        maxEjectionPercent, "0..100");
    v.check(panicThresholdPercent >= 0 && panicThresholdPercent <= 100,
        Violations.join(p, "panicThresholdPercent"), panicThresholdPercent, "0..100");
  }

  /** Ejection time for the {@code timesEjected}-th ejection (1-based): base x n, capped at max. */
  public long ejectionNanos(int timesEjected) {
    long base = baseEjectionTime.toNanos();
    long max = maxEjectionTime.toNanos();
    return timesEjected >= max / base + 1 ? max : Math.min(max, base * timesEjected);
  }

  /** A builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds an {@link OutlierPolicy}; {@link #build()} validates. */
  public static final class Builder {
    private boolean enabled;
    private int consecutiveFailures;
    private Duration baseEjectionTime;
    private Duration maxEjectionTime;
    private int maxEjectionPercent;
    private int panicThresholdPercent;

    private Builder(OutlierPolicy from) {
      enabled = from.enabled;
      consecutiveFailures = from.consecutiveFailures;
      baseEjectionTime = from.baseEjectionTime;
      maxEjectionTime = from.maxEjectionTime;
      maxEjectionPercent = from.maxEjectionPercent;
      panicThresholdPercent = from.panicThresholdPercent;
    }

    public Builder enabled(boolean value) {
      enabled = value;
      return this;
    }

    public Builder consecutiveFailures(int value) {
      consecutiveFailures = value;
      return this;
    }

    public Builder baseEjectionTime(Duration value) {
      baseEjectionTime = value;
      return this;
    }

    public Builder maxEjectionTime(Duration value) {
      maxEjectionTime = value;
      return this;
    }

    public Builder maxEjectionPercent(int value) {
      maxEjectionPercent = value;
      return this;
    }

    public Builder panicThresholdPercent(int value) {
      panicThresholdPercent = value;
      return this;
    }

    public OutlierPolicy build() {
      return new OutlierPolicy(enabled, consecutiveFailures, baseEjectionTime, maxEjectionTime,
          maxEjectionPercent, panicThresholdPercent);
    }
  }
}
