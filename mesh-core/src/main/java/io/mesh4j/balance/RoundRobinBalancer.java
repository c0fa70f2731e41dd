package io.mesh4j.balance;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin: a shared counter walks the weight line, so over every {@code totalWeight}
 * picks each endpoint is chosen exactly {@code weight} times. The counter is one atomic increment per
 * pick (contended only under very high request rates; the P2C balancers have no shared write).
 */
public final class RoundRobinBalancer implements Balancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public EndpointStats pick(Candidates c, EndpointStats avoid, PickTrace trace) {
    long ticket = next.getAndIncrement() & Long.MAX_VALUE;
    int i = c.indexOfWeight(ticket % c.totalWeight());
    EndpointStats chosen = c.get(i);
    if (chosen == avoid && c.size() > 1) {
      chosen = c.get((i + 1) % c.size());
    }
    if (trace != null) {
      trace.set(name(), chosen, Double.NaN, null, Double.NaN);
    }
    return chosen;
  }

  @Override
  public String name() {
    return "round-robin";
  }
}
