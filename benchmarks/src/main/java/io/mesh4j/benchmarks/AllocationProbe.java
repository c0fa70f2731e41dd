package io.mesh4j.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * A companion to {@link MeshOverheadBenchmark} (not a JMH benchmark) on the same loopback fixture:
 *
 * <ol>
 *   <li>Allocation per call of the <em>calling thread only</em> (where the mesh interceptors run), next
 *       to the allocation of all threads of the JVM. JMH's {@code gc.alloc.rate.norm} is the latter,
 *       so it also counts the server's threads and background noise; the former isolates the client.</li>
 *   <li>Latency of the three variants measured <em>interleaved</em> (a random order of bare, mesh and
 *       non-mesh host in every round), so that drift in machine load hits all three alike; it prints
 *       percentiles, the median of the per-round difference mesh - bare, and the mean CPU time of the
 *       calling thread per call (time on a core only, so less disturbed by waiting for the server).</li>
 * </ol>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.AllocationProbe [calls]
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.AllocationProbe [calls] mesh   # loop one variant (for JFR)
 * </pre>
 */
public final class AllocationProbe {
  private static final String[] NAMES = {"bare", "mesh", "meshNoMeshHost"};

  private AllocationProbe() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    String only = args.length > 1 ? args[1] : null;
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();

    try (LoopbackFixture f = new LoopbackFixture()) {
      OkHttpClient[] clients = {f.bareClient, f.meshClient, f.meshClient};
      Request[] requests = {f.bareRequest, f.meshRequest, f.bareRequest};

      if (only != null) {
        int v = Arrays.asList(NAMES).indexOf(only);
        if (v < 0) {
          throw new IllegalArgumentException("variant: " + only + " (expected one of " + Arrays.toString(NAMES) + ")");
        }
        for (int i = 0; i < calls; i++) {
          LoopbackFixture.call(clients[v], requests[v]);
        }
        System.out.println(calls + " calls of " + only + " done");
        return;
      }

      // Warm-up: let the JIT compile all three paths.
      for (int i = 0; i < Math.max(calls / 2, 10_000); i++) {
        for (int v = 0; v < 3; v++) {
          LoopbackFixture.call(clients[v], requests[v]);
        }
      }

      System.out.printf(Locale.ROOT, "allocation per call, %d calls each (bytes)%n", calls);
      System.out.printf(Locale.ROOT, "%-16s %14s %14s%n", "variant", "calling thread", "all threads");
      double[] selfBytes = new double[3];
      for (int round = 0; round < 2; round++) { // the first round is discarded (late JIT)
        for (int v = 0; v < 3; v++) {
          long s0 = threads.getThreadAllocatedBytes(self);
          long t0 = AllThreadsAllocation.total(threads);
          for (int i = 0; i < calls; i++) {
            LoopbackFixture.call(clients[v], requests[v]);
          }
          long s1 = threads.getThreadAllocatedBytes(self);
          long t1 = AllThreadsAllocation.total(threads);
          selfBytes[v] = (s1 - s0) / (double) calls;
          if (round == 1) {
            System.out.printf(Locale.ROOT, "%-16s %14.1f %14.1f%n", NAMES[v], selfBytes[v],
                (t1 - t0) / (double) calls);
          }
        }
      }
      System.out.printf(Locale.ROOT, "mesh - bare (calling thread): %.1f B; meshNoMeshHost - bare: %.1f B%n%n",
          selfBytes[1] - selfBytes[0], selfBytes[2] - selfBytes[0]);

      long[][] nanos = new long[3][calls];
      long[] cpuNanos = new long[3];
      long[] pairedDiff = new long[calls];
      int[] order = {0, 1, 2};
      for (int i = 0; i < calls; i++) {
        ProbeMath.shuffle(order);
        for (int v : order) {
          long c0 = threads.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          LoopbackFixture.call(clients[v], requests[v]);
          nanos[v][i] = System.nanoTime() - t0;
          cpuNanos[v] += threads.getCurrentThreadCpuTime() - c0;
        }
        pairedDiff[i] = nanos[1][i] - nanos[0][i];
      }
      System.out.printf(Locale.ROOT, "latency, interleaved, %d rounds (us)%n", calls);
      System.out.printf(Locale.ROOT, "%-16s %8s %8s %8s %8s %8s %10s%n", "variant", "p50", "p90", "p99", "p99.9",
          "mean", "CPU mean");
      double[] p50 = new double[3];
      for (int v = 0; v < 3; v++) {
        long[] a = nanos[v];
        double mean = Arrays.stream(a).average().orElse(Double.NaN) / 1e3;
        Arrays.sort(a);
        p50[v] = ProbeMath.pct(a, 0.50);
        System.out.printf(Locale.ROOT, "%-16s %8.1f %8.1f %8.1f %8.1f %8.1f %10.2f%n", NAMES[v], p50[v],
            ProbeMath.pct(a, 0.90), ProbeMath.pct(a, 0.99), ProbeMath.pct(a, 0.999), mean, cpuNanos[v] / 1e3 / calls);
      }
      Arrays.sort(pairedDiff);
      System.out.printf(Locale.ROOT, "p50(mesh) - p50(bare) = %.1f us; median of per-round (mesh - bare) = %.1f us;"
          + " p50(meshNoMeshHost) - p50(bare) = %.1f us%n", p50[1] - p50[0], ProbeMath.pct(pairedDiff, 0.50), p50[2] - p50[0]);
    }
  }
}
