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
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Mesh channel vs plain grpc-java channel, same loopback Netty server, one run (issue 6's benchmark):
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
  private static final String[] NAMES = {"plain", "mesh"};
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Echo", "Echo"))
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

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
    ManagedChannel meshed = MeshGrpc.channel(mesh, "echo");
    ManagedChannel[] channels = {plain, meshed};
    try {
      for (int i = 0; i < Math.max(calls / 2, 10_000); i++) { // warm-up: JIT both paths
        for (ManagedChannel c : channels) {
          ClientCalls.blockingUnaryCall(c, ECHO, CallOptions.DEFAULT, payload);
        }
      }

      System.out.printf(Locale.ROOT, "allocation per call, %d calls each (bytes)%n", calls);
      System.out.printf(Locale.ROOT, "%-8s %14s %14s%n", "variant", "calling thread", "all threads");
      double[] selfBytes = new double[2];
      double[] allBytes = new double[2];
      for (int round = 0; round < 2; round++) { // the first round is discarded (late JIT)
        for (int v = 0; v < 2; v++) {
          long s0 = threads.getThreadAllocatedBytes(self);
          long t0 = threads.getTotalThreadAllocatedBytes();
          for (int i = 0; i < calls; i++) {
            ClientCalls.blockingUnaryCall(channels[v], ECHO, CallOptions.DEFAULT, payload);
          }
          selfBytes[v] = (threads.getThreadAllocatedBytes(self) - s0) / (double) calls;
          allBytes[v] = (threads.getTotalThreadAllocatedBytes() - t0) / (double) calls;
          if (round == 1) {
            System.out.printf(Locale.ROOT, "%-8s %14.1f %14.1f%n", NAMES[v], selfBytes[v], allBytes[v]);
          }
        }
      }
      System.out.printf(Locale.ROOT, "mesh - plain: calling thread %.1f B, all threads %.1f B%n%n",
          selfBytes[1] - selfBytes[0], allBytes[1] - allBytes[0]);

      long[][] nanos = new long[2][calls];
      long[] paired = new long[calls];
      for (int i = 0; i < calls; i++) {
        int first = ThreadLocalRandom.current().nextInt(2);
        for (int k = 0; k < 2; k++) {
          int v = k == 0 ? first : 1 - first;
          long t0 = System.nanoTime();
          ClientCalls.blockingUnaryCall(channels[v], ECHO, CallOptions.DEFAULT, payload);
          nanos[v][i] = System.nanoTime() - t0;
        }
        paired[i] = nanos[1][i] - nanos[0][i];
      }
      System.out.printf(Locale.ROOT, "unary latency, interleaved, %d rounds (us)%n", calls);
      System.out.printf(Locale.ROOT, "%-8s %8s %8s %8s %8s %8s%n", "variant", "p50", "p90", "p99", "p99.9", "mean");
      double[] p50 = new double[2];
      for (int v = 0; v < 2; v++) {
        long[] a = nanos[v];
        double mean = Arrays.stream(a).average().orElse(Double.NaN) / 1e3;
        Arrays.sort(a);
        p50[v] = pct(a, 0.50);
        System.out.printf(Locale.ROOT, "%-8s %8.1f %8.1f %8.1f %8.1f %8.1f%n", NAMES[v], p50[v], pct(a, 0.90),
            pct(a, 0.99), pct(a, 0.999), mean);
      }
      Arrays.sort(paired);
      System.out.printf(Locale.ROOT, "p50(mesh) - p50(plain) = %.1f us; median of per-round (mesh - plain) = %.1f us%n",
          p50[1] - p50[0], pct(paired, 0.50));
    } finally {
      plain.shutdownNow();
      meshed.shutdownNow();
      mesh.close();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static double pct(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e3;
  }
}
