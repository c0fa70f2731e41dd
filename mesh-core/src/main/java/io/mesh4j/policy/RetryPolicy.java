package io.mesh4j.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Retries of a service (layer 5 of the request path).
 *
 * <p>What is retried: a request that was never written (connection refused or failed, no endpoint
 * reachable) for any method; a status in {@code retryOn}, a reset connection or a per-attempt timeout
 * only for idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, or marked idempotent). 429 and 503
 * with {@code Retry-After} wait as asked when the deadline allows. Every retry draws from a budget —
 * retries &lt;= {@code budgetPercent}% of requests + {@code budgetMinPerSecond}/s over
 * {@code budgetTtl} — and waits an exponential backoff with full jitter, never past the deadline.
 *
 * @param enabled            default true
 * @param maxAttempts        attempts in all, including the first; default 3, range 1..10
 * @param retryOn            statuses retried for idempotent requests; default 502, 503, 504
 * @param backoffBase        default 25ms
 * @param backoffCap         default 250ms, &gt;= base
 * @param budgetPercent      default 20, range 0..100
 * @param budgetMinPerSecond default 10, range 0..10000
 * @param budgetTtl          default 10s, range 1s..60s
 */
public record RetryPolicy(
    boolean enabled,
    int maxAttempts,
    List<Integer> retryOn,
    Duration backoffBase,
    Duration backoffCap,
    int budgetPercent,
    int budgetMinPerSecond,
    Duration budgetTtl) {

  public static final RetryPolicy DEFAULT = new RetryPolicy(true, 3, List.of(502, 503, 504),
      Duration.ofMillis(25), Duration.ofMillis(250), 20, 10, Duration.ofSeconds(10));

  public RetryPolicy {
    retryOn = retryOn == null ? null : List.copyOf(new TreeSet<>(retryOn));
    Violations v = new Violations();
    validate(maxAttempts, retryOn, backoffBase, backoffCap, budgetPercent, budgetMinPerSecond, budgetTtl,
        "retries", v);
    v.throwIfAny();
  }

  static void validate(int maxAttempts, List<Integer> retryOn, Duration base, Duration cap, int percent,
      int minPerSecond, Duration ttl, String p, Violations v) {
    v.check(maxAttempts >= 1 && maxAttempts <= 10, Violations.join(p, "maxAttempts"), maxAttempts, "1..10");
    if (retryOn == null) {
      v.add(Violations.join(p, "retryOn"), "missing (expected: a list of HTTP statuses 400..599)");
    } else {
      for (Integer s : retryOn) {
        v.check(s != null && s >= 400 && s <= 599, Violations.join(p, "retryOn"), s, "HTTP statuses 400..599");
      }
    }
    boolean baseOk = Checks.positive(base, Violations.join(p, "backoff.base"), v);
    boolean capOk = Checks.positive(cap, Violations.join(p, "backoff.cap"), v);
    if (baseOk && capOk) {
      v.check(cap.compareTo(base) >= 0, Violations.join(p, "backoff.cap"), Durations.format(cap),
          ">= retries.backoff.base (" + Durations.format(base) + ")");
    }
    v.check(percent >= 0 && percent <= 100, Violations.join(p, "budget.percent"), percent, "0..100");
    v.check(minPerSecond >= 0 && minPerSecond <= 10_000, Violations.join(p, "budget.minPerSecond"), minPerSecond,
        "0..10000");
    v.check(ttl != null && ttl.compareTo(Duration.ofSeconds(1)) >= 0 && ttl.compareTo(Duration.ofSeconds(60)) <= 0,
        Violations.join(p, "budget.ttl"), ttl == null ? "missing" : Durations.format(ttl), "a duration in [1s, 60s]");
  }

  /** Whether {@code status} is retried for idempotent requests. */
  public boolean retriesStatus(int status) {
    return retryOn.contains(status);
  }

  /** This policy with retries switched off (one attempt). */
  public static RetryPolicy disabled() {
    return DEFAULT.toBuilder().enabled(false).build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** Builds a {@link RetryPolicy}. */
  public static final class Builder {
    private boolean enabled;
    private int maxAttempts;
    private List<Integer> retryOn;
    private Duration backoffBase;
    private Duration backoffCap;
    private int budgetPercent;
    private int budgetMinPerSecond;
    private Duration budgetTtl;

    private Builder(RetryPolicy from) {
      enabled = from.enabled;
      maxAttempts = from.maxAttempts;
      retryOn = from.retryOn;
      backoffBase = from.backoffBase;
      backoffCap = from.backoffCap;
      budgetPercent = from.budgetPercent;
      budgetMinPerSecond = from.budgetMinPerSecond;
      budgetTtl = from.budgetTtl;
    }

    public Builder enabled(boolean value) {
      enabled = value;
      return this;
    }

    public Builder maxAttempts(int value) {
      maxAttempts = value;
      return this;
    }

    public Builder retryOn(List<Integer> value) {
      retryOn = Objects.requireNonNull(value, "retryOn");
      return this;
    }

    public Builder backoff(Duration base, Duration cap) {
      backoffBase = base;
      backoffCap = cap;
      return this;
    }

    public Builder budget(int percent, int minPerSecond, Duration ttl) {
      budgetPercent = percent;
      budgetMinPerSecond = minPerSecond;
      budgetTtl = ttl;
      return this;
    }

    public RetryPolicy build() {
      return new RetryPolicy(enabled, maxAttempts, retryOn, backoffBase, backoffCap, budgetPercent,
          budgetMinPerSecond, budgetTtl);
    }
  }
}
