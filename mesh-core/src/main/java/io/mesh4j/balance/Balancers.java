package io.mesh4j.balance;

import io.mesh4j.policy.BalancerPolicy;
import io.mesh4j.time.Ticker;

/** Creates the balancer a {@link BalancerPolicy} names. */
public final class Balancers {
  private Balancers() {}

  public static Balancer create(BalancerPolicy policy, Ticker ticker, RandomSource random) {
    switch (policy.algorithm()) {
      case P2C_PEAK_EWMA:
        return new PeakEwmaBalancer(policy.decay(), ticker, random);
      case P2C_LEAST_REQUEST:
        return new LeastRequestBalancer(random);
      case ROUND_ROBIN:
        return new RoundRobinBalancer();
      default:
        throw new IllegalArgumentException("balancer.algorithm: " + policy.algorithm());
    }
  }
}
