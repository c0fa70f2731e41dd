package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The Java examples of docs/grpc.md and docs/grpc-interceptors.md, compiled and run: each region between
 * {@code // snippet:NAME} and {@code // end-snippet} is shown in the docs under a
 * {@code <!-- snippet: ...#NAME -->} marker, and DocsSnippetsTest (examples/quickstart) fails when the
 * two differ. {@link OrdersGrpc} and {@link OrdersService} stand in for protoc-generated code and an
 * application's service, so that the examples read as they would in an application.
 */
class DocsGrpcExamplesTest {
  private static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<String, String> GET_ORDER = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("shop.Orders/GetOrder")
      .setRequestMarshaller(UTF8).setResponseMarshaller(UTF8).build();

  /** Stands in for protoc's generated {@code OrdersGrpc}. */
  static final class OrdersGrpc {
    static OrdersBlockingStub newBlockingStub(Channel channel) {
      return new OrdersBlockingStub(channel);
    }

    static final class OrdersBlockingStub {
      private final Channel channel;

      OrdersBlockingStub(Channel channel) {
        this.channel = channel;
      }

      String getOrder(String id) {
        return ClientCalls.blockingUnaryCall(channel, GET_ORDER, CallOptions.DEFAULT, id);
      }
    }
  }

  /** Stand-ins for an application's generated message and service base types. */
  record GetOrderRequest(String id) {}

  record Order(String id, String paymentStatus) {}

  abstract static class OrdersImplBase {
    public abstract void getOrder(GetOrderRequest req, StreamObserver<Order> out);
  }

  /** docs/grpc-interceptors.md: a handler calling another service through the mesh (compiled). */
  static final class OrdersHandler extends OrdersImplBase {
    private final okhttp3.OkHttpClient http;

    OrdersHandler(okhttp3.OkHttpClient http) {
      this.http = http;
    }

    // snippet:grpc-handler-calls-on
    @Override
    public void getOrder(GetOrderRequest req, StreamObserver<Order> out) {
      // Deadline.current() is what is left of the caller's grpc-timeout; Span.current() is the server span.
      try (Response r = http.newCall(new Request.Builder().url("http://payments/v1/status").build()).execute()) {
        out.onNext(new Order(req.id(), r.body().string()));   // mesh-timeout-ms and traceparent went out
        out.onCompleted();
      } catch (IOException e) {
        out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e).asRuntimeException());
      }
    }
    // end-snippet
  }

  /** Stands in for an application's service implementation. */
  static final class OrdersService implements BindableService {
    OrdersService(Mesh mesh) {}

    @Override
    public ServerServiceDefinition bindService() {
      return ServerServiceDefinition.builder("shop.Orders")
          .addMethod(GET_ORDER, ServerCalls.asyncUnaryCall((id, out) -> {
            out.onNext("order " + id);
            out.onCompleted();
          }))
          .build();
    }
  }

  @Test
  void gettingAChannel() throws Exception {
    ExecutorService myExecutor = Executors.newSingleThreadExecutor();
    // snippet:grpc-channel
    Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("orders", List.of(Endpoint.parse("10.0.0.1:9090"), Endpoint.parse("10.0.0.2:9090"))))
        .build();

    ManagedChannel channel = MeshGrpc.channel(mesh, "orders");              // plaintext
    OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(channel);

    ManagedChannel tls = MeshGrpc.channelBuilder(mesh, "orders")            // a ManagedChannelBuilder<?>
        .useTransportSecurity()
        .executor(myExecutor)
        .build();
    // end-snippet
    assertThat(channel.authority()).isEqualTo("orders");
    assertThat(orders).isNotNull();
    tls.shutdownNow();
    channel.shutdownNow();
    mesh.close();
    myExecutor.shutdownNow();
  }

  @Test
  void serverAndClientInterceptorsOnChannelsOfYourOwn() throws Exception {
    int port = 0; // any free port here; the docs' reader picks theirs
    Mesh mesh = Mesh.builder().build();
    // snippet:grpc-server
    Server server = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new OrdersService(mesh), new MeshServerInterceptor(mesh)))
        .build()
        .start();
    // end-snippet
    try {
      String target = "127.0.0.1:" + server.getPort();
      // snippet:grpc-own-channel
      ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext()
          .intercept(new MeshClientInterceptor(mesh, "orders"))   // last = outermost: add it last
          .build();
      OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(channel);
      // end-snippet
      assertThat(orders.getOrder("7")).isEqualTo("order 7");
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      mesh.close();
    }
  }

  /** README's one-line gRPC example, called for real. */
  private static void readmeExample(Mesh mesh) throws InterruptedException {
    // snippet:readme-grpc
    ManagedChannel channel = MeshGrpc.channel(mesh, "orders");   // target mesh:///orders
    OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(channel);
    // end-snippet
    assertThat(orders.getOrder("9")).isEqualTo("order 9");
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aPlainMeshTargetWithADefaultMesh() throws Exception {
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new OrdersService(null)).build().start();
    Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("orders", List.of(Endpoint.of("127.0.0.1", server.getPort())))).build();
    try {
      // snippet:grpc-default-mesh
      MeshGrpc.registerDefault(mesh);
      ManagedChannel channel = ManagedChannelBuilder.forTarget("mesh:///orders").usePlaintext()
          .intercept(MeshGrpc.interceptor(mesh, "orders"))   // not added for you on this path
          .build();
      // end-snippet
      assertThat(OrdersGrpc.newBlockingStub(channel).getOrder("8")).isEqualTo("order 8");
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      MeshGrpc.clearDefault();
      readmeExample(mesh);
    } finally {
      MeshGrpc.clearDefault();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      mesh.close();
    }
  }
}
