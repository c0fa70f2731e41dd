package io.mesh4j.grpc;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.discovery.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Real gRPC (Netty) servers on 127.0.0.1 answering TestService.UnaryCall with their id, for the mesh-grpc ITs. */
final class GrpcBackends implements AutoCloseable {
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "grpc-backends-delay");
    t.setDaemon(true);
    return t;
  });
  private final List<Backend> backends = new ArrayList<>();

  /** One server: counts the calls it receives, answers after {@code delayMillis}, or fails with {@code failWith}. */
  final class Backend {
    final String id;
    final Server server;
    final int port;
    final AtomicInteger calls = new AtomicInteger();
    volatile long delayMillis;
    volatile Status failWith;
    volatile Map<String, String> labels = Map.of();
    /**
     * When set, the first call is answered only once a second call has arrived (or after 10 s): a backup
     * of a hedged call is then sure to be sent, whatever the machine's speed.
     */
    volatile boolean holdFirstUntilSecond;
    private final CountDownLatch second = new CountDownLatch(1);

    Backend(String id) {
      this.id = id;
      this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(new TestServiceGrpc.TestServiceImplBase() {
            @Override
            public void unaryCall(SimpleRequest request, StreamObserver<SimpleResponse> out) {
              int n = calls.incrementAndGet();
              Status fail = failWith;
              if (fail != null) {
                out.onError(fail.asRuntimeException());
                return;
              }
              SimpleResponse response = SimpleResponse.newBuilder().setServerId(Backend.this.id).build();
              if (holdFirstUntilSecond && n == 1) {
                scheduler.execute(() -> {
                  try {
                    second.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  out.onNext(response);
                  out.onCompleted();
                });
                return;
              }
              if (n == 2) {
                second.countDown();
              }
              long delay = delayMillis;
              if (delay <= 0) {
                out.onNext(response);
                out.onCompleted();
              } else {
                scheduler.schedule(() -> {
                  out.onNext(response);
                  out.onCompleted();
                }, delay, TimeUnit.MILLISECONDS);
              }
            }
          })
          .build();
      try {
        server.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.port = server.getPort();
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", port).withLabels(labels);
    }

    /** Kills the server: closes its port and every connection, failing calls in flight. */
    void kill() {
      server.shutdownNow();
    }

    @Override
    public String toString() {
      return id + "@" + port;
    }
  }

  static GrpcBackends start(int n) {
    GrpcBackends b = new GrpcBackends();
    for (int i = 0; i < n; i++) {
      b.backends.add(b.new Backend("b" + i));
    }
    return b;
  }

  Backend get(int i) {
    return backends.get(i);
  }

  List<Endpoint> endpoints() {
    List<Endpoint> list = new ArrayList<>();
    for (Backend b : backends) {
      list.add(b.endpoint());
    }
    return list;
  }

  void resetCounts() {
    for (Backend b : backends) {
      b.calls.set(0);
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Backend b : backends) {
      b.server.shutdownNow();
    }
    for (Backend b : backends) {
      b.server.awaitTermination(5, TimeUnit.SECONDS);
    }
    scheduler.shutdownNow();
  }
}
