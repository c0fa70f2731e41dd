package io.mesh4j.balance;

import io.mesh4j.time.Ticker;
import java.time.Duration;

/**
 * Power of two choices over peak-EWMA cost (Finagle's {@code PeakEwma}, linkerd2-proxy's default):
 * draw two endpoints at random (by weight), send to the one with the lower
 * {@code ewma(latency) x (pending + 1)}. Two random choices avoid the herd behaviour of "always the
 * least loaded" with stale information, and cost almost nothing: two reads per endpoint, two
 * {@code exp} calls, no allocation, O(1) in the number of endpoints (O(log n) with unequal weights).
 */
public final class PeakEwmaBalancer implements Balancer {
  private final Ticker ticker;
  private final RandomSource random;
  private final double tauNanos;

  public PeakEwmaBalancer(Duration decay, Ticker ticker, RandomSource random) {
    this.tauNanos = decay.toNanos();
    this.ticker = ticker;
    this.random = random;
  }

  @Override
  public EndpointStats pick(Candidates c, EndpointStats avoid, PickTrace trace) {
    int n = c.size();
    if (n == 1) {
      EndpointStats only = c.get(0);
      if (trace != null) {
        trace.set(name(), only, only.peakEwmaLoad(ticker.nanoTime(), tauNanos), null, Double.NaN);
      }
      return only;
    }
    long pair = Pairs.drawPacked(c, random);
    EndpointStats a = c.get(Pairs.first(pair));
    EndpointStats b = c.get(Pairs.second(pair));
    if (a == avoid) {
      return traced(trace, b, a, Double.NaN, Double.NaN);
    }
    if (b == avoid) {
      return traced(trace, a, b, Double.NaN, Double.NaN);
    }
    long now = ticker.nanoTime();
    double la = a.peakEwmaLoad(now, tauNanos);
    double lb = b.peakEwmaLoad(now, tauNanos);
    return la <= lb ? traced(trace, a, b, la, lb) : traced(trace, b, a, lb, la);
  }

  private EndpointStats traced(PickTrace trace, EndpointStats chosen, EndpointStats rival, double lc, double lr) {
    if (trace != null) {
      trace.set(name(), chosen, lc, rival, lr);
    }
    return chosen;
  }

  @Override
  public String name() {
    return "p2c-peak-ewma";
  }
}
