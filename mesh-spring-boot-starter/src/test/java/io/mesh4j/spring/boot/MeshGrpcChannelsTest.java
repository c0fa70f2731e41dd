package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code mesh.grpc.channels}: one mesh gRPC channel bean per service, against a real loopback server. */
class MeshGrpcChannelsTest {
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
  private static final MethodDescriptor<String, String> HELLO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Greeter/Hello")
      .setRequestMarshaller(UTF8)
      .setResponseMarshaller(UTF8)
      .build();
  private static Server server;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  @BeforeAll
  static void startServer() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerServiceDefinition.builder("test.Greeter")
            .addMethod(HELLO, ServerCalls.asyncUnaryCall((name, out) -> {
              out.onNext("hello " + name);
              out.onCompleted();
            }))
            .build())
        .build().start();
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aChannelBeanPerListedServiceCallsItThroughTheMeshAndIsShutDownWithTheContext() {
    AtomicReference<ManagedChannel> seen = new AtomicReference<>();
    runner.withPropertyValues("mesh.services.greeter-svc.endpoints=127.0.0.1:" + server.getPort(),
            "mesh.grpc.channels=greeter-svc")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          ManagedChannel channel = ctx.getBean("greeterSvcGrpcChannel", ManagedChannel.class);
          seen.set(channel);
          assertThat(channel.authority()).isEqualTo("greeter-svc");
          assertThat(ClientCalls.blockingUnaryCall(channel, HELLO, CallOptions.DEFAULT, "mesh")).isEqualTo("hello mesh");
        });
    assertThat(seen.get().isShutdown()).isTrue();
  }

  @Test
  void noChannelsUnlessListedButAServerInterceptor() {
    runner.run(ctx -> {
      assertThat(ctx).doesNotHaveBean(ManagedChannel.class);
      assertThat(ctx).hasSingleBean(io.mesh4j.grpc.MeshServerInterceptor.class);
    });
  }

  @Test
  void aBadServiceNameFailsStartupNamingIt() {
    runner.withPropertyValues("mesh.grpc.channels=Payment_Svc").run(ctx -> {
      assertThat(ctx).hasFailed();
      assertThat(ctx.getStartupFailure())
          .isInstanceOf(InvalidMeshPropertiesException.class)
          .hasMessageContaining("mesh.grpc.channels")
          .hasMessageContaining("'Payment_Svc'");
    });
  }

  @Test
  void beanNamesAreCamelCase() {
    assertThat(MeshGrpcChannels.beanName("payment")).isEqualTo("paymentGrpcChannel");
    assertThat(MeshGrpcChannels.beanName("order-history")).isEqualTo("orderHistoryGrpcChannel");
  }
}
