package io.mesh4j.grpc;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Loopback servers, channels and an in-memory OpenTelemetry SDK for the interceptor tests. */
final class IcptFixtures {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  static final TextMapGetter<Headers> HTTP_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Headers carrier, String key) {
      return carrier == null ? null : carrier.getFirst(key);
    }
  };

  private IcptFixtures() {}

  /** What the test service does with one unary call. */
  @FunctionalInterface
  interface UnaryHandler {
    void handle(SimpleRequest request, StreamObserver<SimpleResponse> response) throws Exception;
  }

  /** A TestService whose unaryCall counts calls and runs {@code handler}; other methods UNIMPLEMENTED. */
  static final class CountingService extends TestServiceGrpc.TestServiceImplBase {
    final AtomicInteger calls = new AtomicInteger();
    volatile UnaryHandler handler;

    CountingService(UnaryHandler handler) {
      this.handler = handler;
    }

    @Override
    public void unaryCall(SimpleRequest request, StreamObserver<SimpleResponse> response) {
      calls.incrementAndGet();
      try {
        handler.handle(request, response);
      } catch (Exception e) {
        response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      }
    }
  }

  static UnaryHandler ok(String body) {
    return (req, resp) -> {
      resp.onNext(SimpleResponse.newBuilder().setUsername(body).build());
      resp.onCompleted();
    };
  }

  static UnaryHandler failing(Status status) {
    return (req, resp) -> resp.onError(status.asRuntimeException());
  }

  /** A Netty gRPC server on 127.0.0.1, any free port. */
  static Server server(ServerServiceDefinition service) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service)
        .build()
        .start();
  }

  static Server server(CountingService service, io.grpc.ServerInterceptor... interceptors) throws IOException {
    return server(ServerInterceptors.intercept(service, interceptors));
  }

  /** A plaintext channel to {@code server}; the last interceptor is the outermost. */
  static ManagedChannel channel(Server server, ClientInterceptor... interceptors) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .usePlaintext()
        .intercept(interceptors)
        .build();
  }

  static void shutdown(ManagedChannel channel) throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static void shutdown(Server server) throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static SimpleRequest request() {
    return SimpleRequest.newBuilder().setFillUsername(true).build();
  }

  /** An SDK with in-memory span and metric readers and the W3C trace-context propagator. */
  static OpenTelemetrySdk otel(InMemorySpanExporter spans, InMemoryMetricReader metrics) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(bytes);
      }
    }
  }
}
