package io.mesh4j.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * How endpoints are picked.
 *
 * @param algorithm  default {@code p2c-peak-ewma}
 * @param decay      time constant of the latency EWMA, default 10s (Finagle and Linkerd use 10 s)
 * @param defaultRtt latency a new endpoint is assumed to have until measured, default 30ms
 *                   (linkerd2-proxy's default): a newcomer is neither flooded nor starved
 */
public record BalancerPolicy(BalancerAlgorithm algorithm, Duration decay, Duration defaultRtt) {
  public static final BalancerPolicy DEFAULT =
      new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofSeconds(10), Duration.ofMillis(30));

  public BalancerPolicy {
    Objects.requireNonNull(algorithm, "algorithm");
    Violations v = new Violations();
    validate(decay, defaultRtt, "balancer", v);
    v.throwIfAny();
  }

  static void validate(Duration decay, Duration defaultRtt, String p, Violations v) {
    v.check(decay != null && decay.compareTo(Duration.ZERO) > 0 && decay.compareTo(Duration.ofHours(1)) <= 0,
        Violations.join(p, "decay"), decay == null ? "missing" : Durations.format(decay), "a duration in (0, 1h]");
    v.check(defaultRtt != null && defaultRtt.compareTo(Duration.ZERO) > 0
            && defaultRtt.compareTo(Duration.ofMinutes(1)) <= 0,
        Violations.join(p, "defaultRtt"), defaultRtt == null ? "missing" : Durations.format(defaultRtt),
        "a duration in (0, 1m]");
  }

  /** This policy with another algorithm. */
  public BalancerPolicy withAlgorithm(BalancerAlgorithm newAlgorithm) {
    return new BalancerPolicy(newAlgorithm, decay, defaultRtt);
  }
}
