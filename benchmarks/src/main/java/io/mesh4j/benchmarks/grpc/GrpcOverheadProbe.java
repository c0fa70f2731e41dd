package io.mesh4j.benchmarks.grpc;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.Mesh;
import io.mesh4j.benchmarks.AllThreadsAllocation;
import io.mesh4j.benchmarks.ProbeMath;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import io.mesh4j.grpc.ServiceConfigs;
import io.mesh4j.policy.ServicePolicy;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Mesh channel vs plain grpc-java channel, same loopback Netty server, one run (issue 6's benchmark),
 * plus a plain channel given the service config the mesh derives from its default policy ("plain+retry")
 * to tell gRPC's own retry machinery apart from the mesh's code:
 * unary latency measured <em>interleaved</em> (random order of the two in every round, so drift in
 * machine load hits both alike) and allocation per call, of the calling thread and of the whole JVM
 * (gRPC does much of its work on Netty event-loop threads, so the JVM-wide figure is the honest one;
 * it includes the server's allocation, which is the same for both).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.grpc.GrpcOverheadProbe [calls]
 * </pre>
 */
public final class GrpcOverheadProbe {
  private static final String[] NAMES = {"plain", "plain+retry", "mesh"};
  static final MethodDescriptor<byte[], byte[]> ECHO = ByteMethods.unary("bench.Echo", "Echo");

  private GrpcOverheadProbe() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    byte[] payload = new byte[64];

    ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build().start();
    int port = server.getPort();
    StaticDiscovery discovery = StaticDiscovery.create();
    discovery.set("echo", List.of(Endpoint.of("127.0.0.1", port)));
    Mesh mesh = Mesh.builder().discovery(discovery).build();
    ManagedChannel plain = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    // The same server config the mesh gives its channel (default policy: timeout + retryPolicy +
    // retryThrottling), on a plain channel without the mesh: separates gRPC's own retry machinery
    // (RetriableStream buffers every call that may be retried) from the mesh's code.
    Map<String, Object> config = new HashMap<>(ServiceConfigs.of(ServicePolicy.DEFAULT));
    config.remove("loadBalancingConfig");
    ManagedChannel plainRetry = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .defaultServiceConfig(config).build();
    ManagedChannel meshed = MeshGrpc.channel(mesh, "echo");
    ManagedChannel[] channels = {plain, plainRetry, meshed};
    try {
      for (int i = 0; i < Math.max(calls / 2, 10_000); i++) { // warm-up: JIT both paths
        for (ManagedChannel c : channels) {
          ClientCalls.blockingUnaryCall(c, ECHO, CallOptions.DEFAULT, payload);
        }
      }

      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      System.out.printf(Locale.ROOT, "per call, %d calls each, sequential: allocation (bytes) and CPU time of the"
          + " whole process, client and server (us; less disturbed by other load than latency)%n", calls);
      System.out.printf(Locale.ROOT, "%-12s %14s %14s %10s%n", "variant", "calling thread", "all threads", "CPU");
      int n = channels.length;
      double[] selfBytes = new double[n];
      double[] allBytes = new double[n];
      double[] cpu = new double[n];
      for (int round = 0; round < 2; round++) { // the first round is discarded (late JIT)
        for (int v = 0; v < n; v++) {
          long s0 = threads.getThreadAllocatedBytes(self);
          long t0 = AllThreadsAllocation.total(threads);
          long c0 = os.getProcessCpuTime();
          for (int i = 0; i < calls; i++) {
            ClientCalls.blockingUnaryCall(channels[v], ECHO, CallOptions.DEFAULT, payload);
          }
          selfBytes[v] = (threads.getThreadAllocatedBytes(self) - s0) / (double) calls;
          allBytes[v] = (AllThreadsAllocation.total(threads) - t0) / (double) calls;
          cpu[v] = (os.getProcessCpuTime() - c0) / 1e3 / calls;
          if (round == 1) {
            System.out.printf(Locale.ROOT, "%-12s %14.1f %14.1f %10.2f%n", NAMES[v], selfBytes[v], allBytes[v], cpu[v]);
          }
        }
      }
      System.out.printf(Locale.ROOT, "mesh - plain: calling thread %.1f B, all threads %.1f B, CPU %.2f us%n",
          selfBytes[2] - selfBytes[0], allBytes[2] - allBytes[0], cpu[2] - cpu[0]);
      System.out.printf(Locale.ROOT, "mesh - plain+retry: calling thread %.1f B, all threads %.1f B, CPU %.2f us%n%n",
          selfBytes[2] - selfBytes[1], allBytes[2] - allBytes[1], cpu[2] - cpu[1]);

      long[][] nanos = new long[n][calls];
      long[] paired = new long[calls];
      long[] pairedRetry = new long[calls];
      int[] order = {0, 1, 2};
      for (int i = 0; i < calls; i++) {
        ProbeMath.shuffle(order);
        for (int v : order) {
          long t0 = System.nanoTime();
          ClientCalls.blockingUnaryCall(channels[v], ECHO, CallOptions.DEFAULT, payload);
          nanos[v][i] = System.nanoTime() - t0;
        }
        paired[i] = nanos[2][i] - nanos[0][i];
        pairedRetry[i] = nanos[2][i] - nanos[1][i];
      }
      System.out.printf(Locale.ROOT, "unary latency, interleaved, %d rounds (us)%n", calls);
      System.out.printf(Locale.ROOT, "%-12s %8s %8s %8s %8s %8s%n", "variant", "p50", "p90", "p99", "p99.9", "mean");
      double[] p50 = new double[n];
      for (int v = 0; v < n; v++) {
        long[] a = nanos[v];
        double mean = Arrays.stream(a).average().orElse(Double.NaN) / 1e3;
        Arrays.sort(a);
        p50[v] = ProbeMath.pct(a, 0.50);
        System.out.printf(Locale.ROOT, "%-12s %8.1f %8.1f %8.1f %8.1f %8.1f%n", NAMES[v], p50[v], ProbeMath.pct(a, 0.90),
            ProbeMath.pct(a, 0.99), ProbeMath.pct(a, 0.999), mean);
      }
      Arrays.sort(paired);
      Arrays.sort(pairedRetry);
      System.out.printf(Locale.ROOT, "p50(mesh) - p50(plain) = %.1f us; median of per-round (mesh - plain) = %.1f us%n",
          p50[2] - p50[0], ProbeMath.pct(paired, 0.50));
      System.out.printf(Locale.ROOT, "p50(mesh) - p50(plain+retry) = %.1f us; median of per-round (mesh - plain+retry) = %.1f us%n",
          p50[2] - p50[1], ProbeMath.pct(pairedRetry, 0.50));
    } finally {
      plain.shutdownNow();
      plainRetry.shutdownNow();
      meshed.shutdownNow();
      mesh.close();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
