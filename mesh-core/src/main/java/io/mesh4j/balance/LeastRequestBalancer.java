package io.mesh4j.balance;

/**
 * Power of two choices over requests in flight: draw two endpoints (by weight), send to the one with
 * fewer pending requests. Ignores latency; useful when latency is dominated by the request itself.
 */
public final class LeastRequestBalancer implements Balancer {
  private final RandomSource random;

  public LeastRequestBalancer(RandomSource random) {
    this.random = random;
  }

  @Override
  public EndpointStats pick(Candidates c, EndpointStats avoid, PickTrace trace) {
    if (c.size() == 1) {
      return traced(trace, c.get(0), null, c.get(0).pending(), Double.NaN);
    }
    long pair = Pairs.drawPacked(c, random);
    EndpointStats a = c.get(Pairs.first(pair));
    EndpointStats b = c.get(Pairs.second(pair));
    if (a == avoid) {
      return traced(trace, b, a, b.pending(), a.pending());
    }
    if (b == avoid) {
      return traced(trace, a, b, a.pending(), b.pending());
    }
    int pa = a.pending();
    int pb = b.pending();
    return pa <= pb ? traced(trace, a, b, pa, pb) : traced(trace, b, a, pb, pa);
  }

  private EndpointStats traced(PickTrace trace, EndpointStats chosen, EndpointStats rival, double lc, double lr) {
    if (trace != null) {
      trace.set(name(), chosen, lc, rival, lr);
    }
    return chosen;
  }

  @Override
  public String name() {
    return "p2c-least-request";
  }
}
