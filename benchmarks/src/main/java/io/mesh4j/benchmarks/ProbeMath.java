package io.mesh4j.benchmarks;

import java.util.concurrent.ThreadLocalRandom;

/** The small arithmetic the interleaved probes (HTTP and gRPC) share. */
public final class ProbeMath {
  private ProbeMath() {}

  /** The {@code q} quantile of {@code sorted} nanoseconds, in microseconds. */
  public static double pct(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e3;
  }

  /** Shuffles {@code a} in place (Fisher-Yates): the order of the variants in one round. */
  public static void shuffle(int[] a) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
