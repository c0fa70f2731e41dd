package io.mesh4j.examples.shop.payment;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.grpc.MeshServerInterceptor;
import io.mesh4j.examples.shop.common.InstanceSpec;
import io.mesh4j.examples.shop.common.ServedByFilter;
import io.mesh4j.examples.shop.common.Traffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Payment over gRPC, next to the HTTP controller: a grpc-netty server on {@code shop.payment.grpc-port}
 * with the mesh's {@link MeshServerInterceptor} (the starter's bean),
 * started and stopped with the application. When it is on, the instance registers this port with the
 * control plane (the demo sets {@code mesh.registration.port} to it), so callers reach payment by gRPC.
 * Like the HTTP filter, an interceptor answers {@code x-served-by} and records what was served; a call
 * with {@code grpc-previous-rpc-attempts} is one of gRPC's own retries or hedges.
 */
@Component
@ConditionalOnProperty(name = "shop.payment.grpc-port")
class PaymentGrpcServer implements SmartLifecycle {
  private static final Metadata.Key<String> SERVED_BY =
      Metadata.Key.of(ServedByFilter.HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;
  private volatile boolean running;

  /** @param meshInterceptor the starter's bean (mesh-grpc on the class path) */
  PaymentGrpcServer(Payments payments, MeshServerInterceptor meshInterceptor, InstanceSpec instance, Traffic traffic,
      @Value("${shop.payment.grpc-port}") int port) {
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        // The last interceptor runs first: the mesh's (caller's deadline and trace context, server span)
        // sits closest to the transport, as it asks.
        .addService(ServerInterceptors.intercept(PaymentGrpc.bind(payments), new ServedBy(instance, traffic),
            meshInterceptor))
        .build();
  }

  @Override
  public void start() {
    try {
      server.start();
      running = true;
    } catch (IOException e) {
      throw new UncheckedIOException("payment gRPC server did not start", e);
    }
  }

  @Override
  public void stop() {
    running = false;
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** {@code x-served-by} in the response headers, and the call recorded in {@link Traffic} when it closes. */
  private record ServedBy(InstanceSpec instance, Traffic traffic) implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      long start = System.nanoTime();
      String previous = headers.get(PREVIOUS_ATTEMPTS);
      boolean first = previous == null || previous.equals("0");
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void sendHeaders(Metadata responseHeaders) {
          responseHeaders.put(SERVED_BY, instance.name());
          super.sendHeaders(responseHeaders);
        }

        @Override
        public void close(Status status, Metadata trailers) {
          traffic.record(instance.service(), instance.name(), System.nanoTime() - start,
              status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.INTERNAL
                  || status.getCode() == Status.Code.UNKNOWN, first);
          super.close(status, trailers);
        }
      }, headers);
    }
  }
}
