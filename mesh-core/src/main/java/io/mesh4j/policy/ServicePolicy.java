package io.mesh4j.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything the mesh does for calls to one service, as one immutable value. The control plane stores
 * it as JSON ({@link PolicyCodec}); clients swap a new revision in atomically, so a call sees either
 * the old policy or the new one, never a mix.
 *
 * <pre>{@code
 * ServicePolicy p = ServicePolicy.builder()
 *     .totalTimeout(Duration.ofSeconds(2))
 *     .balancer(BalancerAlgorithm.P2C_PEAK_EWMA)
 *     .build();
 * }</pre>
 */
public record ServicePolicy(TimeoutPolicy timeouts, BalancerPolicy balancer, OutlierPolicy outlier) {

  /** The defaults of DESIGN.md: 15 s total timeout, P2C peak-EWMA, ejection after 5 failures. */
  public static final ServicePolicy DEFAULT =
      new ServicePolicy(TimeoutPolicy.DEFAULT, BalancerPolicy.DEFAULT, OutlierPolicy.DEFAULT);

  public ServicePolicy {
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(balancer, "balancer");
    Objects.requireNonNull(outlier, "outlier");
  }

  /** A builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder(DEFAULT);
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link ServicePolicy}. */
  public static final class Builder {
    private TimeoutPolicy timeouts;
    private BalancerPolicy balancer;
    private OutlierPolicy outlier;

    private Builder(ServicePolicy from) {
      timeouts = from.timeouts;
      balancer = from.balancer;
      outlier = from.outlier;
    }

    public Builder timeouts(TimeoutPolicy value) {
      timeouts = Objects.requireNonNull(value, "timeouts");
      return this;
    }

    public Builder totalTimeout(Duration value) {
      timeouts = timeouts.withTotal(value);
      return this;
    }

    public Builder perAttemptTimeout(Duration value) {
      timeouts = timeouts.withPerAttempt(value);
      return this;
    }

    public Builder balancer(BalancerPolicy value) {
      balancer = Objects.requireNonNull(value, "balancer");
      return this;
    }

    public Builder balancer(BalancerAlgorithm algorithm) {
      balancer = balancer.withAlgorithm(algorithm);
      return this;
    }

    public Builder outlier(OutlierPolicy value) {
      outlier = Objects.requireNonNull(value, "outlier");
      return this;
    }

    public ServicePolicy build() {
      return new ServicePolicy(timeouts, balancer, outlier);
    }
  }
}
