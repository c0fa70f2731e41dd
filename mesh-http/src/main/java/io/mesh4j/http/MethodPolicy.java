package io.mesh4j.http;

import io.mesh4j.policy.Durations;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one client method changes of its service's policy ({@link io.mesh4j.http.client.Timeout @Timeout},
 * {@link io.mesh4j.http.client.Idempotent @Idempotent}, {@link io.mesh4j.http.client.Retry @Retry},
 * {@link io.mesh4j.http.client.Hedge @Hedge}), carried to the mesh's layers as a request tag:
 *
 * <pre>{@code
 * MethodPolicy p = request.tag(MethodPolicy.class); // null: the service's policy alone
 * RetryPolicy retries = p == null ? service.retries().policy() : p.retries(service.retries().policy());
 * }</pre>
 *
 * <p>The proxy made by {@link io.mesh4j.http.client.MeshClients} tags a request only when its method carries one of those
 * annotations; a hand-written OkHttp call may tag its own requests with {@link #builder()}.
 *
 * <p>Immutable and thread-safe. {@link #retries} and {@link #hedging} are called on the request path:
 * they return the service's own object when this policy changes nothing of it, and otherwise keep the
 * last result, so they allocate only when the service's policy changes.
 */
public final class MethodPolicy {
  private final Duration timeout;
  private final boolean idempotent;
  private final boolean retryOverride;
  private final int maxAttempts;
  private final List<Integer> retryOn;
  private final HedgePolicy hedging;
  /** The last {@link #retries} result and the service policy it was made from (racy but benign). */
  private volatile Derived derived;

  private record Derived(RetryPolicy from, RetryPolicy result) {}

  private MethodPolicy(Builder b) {
    this.timeout = b.timeout;
    this.idempotent = b.idempotent;
    this.retryOverride = b.retryOverride;
    this.maxAttempts = b.maxAttempts;
    this.retryOn = b.retryOn;
    this.hedging = b.hedging;
  }

  /** A builder of a policy that changes nothing. */
  public static Builder builder() {
    return new Builder();
  }

  /** The method's total timeout ({@link io.mesh4j.http.client.Timeout @Timeout}), if it has one. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /** The call's total timeout: the method's when it has one, else {@code serviceTotal}. */
  public Duration totalTimeout(Duration serviceTotal) {
    return timeout != null ? timeout : serviceTotal;
  }

  /** Whether the method is declared idempotent ({@link io.mesh4j.http.client.Idempotent @Idempotent}). */
  public boolean idempotent() {
    return idempotent;
  }

  /** Whether this policy changes the service's retries. */
  public boolean overridesRetries() {
    return retryOverride;
  }

  /** Attempts in all for this method; 0 when the service's apply. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The statuses retried for this method; null when the service's apply. */
  public List<Integer> retryOn() {
    return retryOn;
  }

  /** The method's hedging, if it overrides the service's (and route's). */
  public Optional<HedgePolicy> hedgingOverride() {
    return Optional.ofNullable(hedging);
  }

  /**
   * The retry policy of a call to this method: {@code service} with retries on and this method's
   * {@code maxAttempts} and {@code retryOn}; {@code service} itself when this policy has no retry
   * override. Backoff and budget always stay the service's.
   */
  public RetryPolicy retries(RetryPolicy service) {
    if (!retryOverride) {
      return service;
    }
    Derived d = derived;
    if (d != null && d.from == service) {
      return d.result;
    }
    RetryPolicy result = service.toBuilder()
        .enabled(true)
        .maxAttempts(maxAttempts > 0 ? maxAttempts : service.maxAttempts())
        .retryOn(retryOn != null ? retryOn : service.retryOn())
        .build();
    derived = new Derived(service, result);
    return result;
  }

  /**
   * The hedging of a call to this method: this method's when it has one (it wins over the service's
   * and the matched route's), else {@code serviceOrRoute}.
   */
  public HedgePolicy hedging(HedgePolicy serviceOrRoute) {
    return hedging != null ? hedging : serviceOrRoute;
  }

  /** Whether this policy changes nothing (no timeout, not idempotent, no overrides). */
  public boolean isEmpty() {
    return timeout == null && !idempotent && !retryOverride && hedging == null;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("MethodPolicy{");
    String sep = "";
    if (timeout != null) {
      s.append("timeout=").append(Durations.format(timeout));
      sep = ", ";
    }
    if (idempotent) {
      s.append(sep).append("idempotent");
      sep = ", ";
    }
    if (retryOverride) {
      s.append(sep).append("retries(maxAttempts=").append(maxAttempts == 0 ? "service's" : maxAttempts)
          .append(", retryOn=").append(retryOn == null ? "service's" : retryOn).append(')');
      sep = ", ";
    }
    if (hedging != null) {
      s.append(sep).append("hedging=").append(hedging);
    }
    return s.append('}').toString();
  }

  /** Builds a {@link MethodPolicy}; every argument is checked, and the message says what was expected. */
  public static final class Builder {
    private Duration timeout;
    private boolean idempotent;
    private boolean retryOverride;
    private int maxAttempts;
    private List<Integer> retryOn;
    private HedgePolicy hedging;

    private Builder() {}

    /** The method's total timeout, &gt; 0. */
    public Builder timeout(Duration value) {
      Objects.requireNonNull(value, "timeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("timeout: " + Durations.format(value) + " (expected: > 0)");
      }
      timeout = value;
      return this;
    }

    public Builder idempotent(boolean value) {
      idempotent = value;
      return this;
    }

    /**
     * Retries on for this method, with {@code value} attempts in all (1..10; 1 means no retries), or
     * 0 for the service's number.
     */
    public Builder maxAttempts(int value) {
      if (value < 0 || value > 10) {
        throw new IllegalArgumentException("maxAttempts: " + value + " (expected: 1..10, or 0 for the service's)");
      }
      retryOverride = true;
      maxAttempts = value;
      return this;
    }

    /** Retries on for this method, on these statuses (400..599); null for the service's statuses. */
    public Builder retryOn(List<Integer> value) {
      if (value != null) {
        List<Integer> copy = new ArrayList<>(value.size());
        for (Integer s : value) {
          if (s == null || s < 400 || s > 599) {
            throw new IllegalArgumentException("retryOn: " + s + " (expected: HTTP statuses 400..599)");
          }
          copy.add(s);
        }
        value = List.copyOf(new java.util.TreeSet<>(copy));
      }
      retryOverride = true;
      retryOn = value;
      return this;
    }

    /** Hedging for this method, replacing the service's and the route's; null keeps theirs. */
    public Builder hedging(HedgePolicy value) {
      hedging = value;
      return this;
    }

    public MethodPolicy build() {
      return new MethodPolicy(this);
    }
  }
}
