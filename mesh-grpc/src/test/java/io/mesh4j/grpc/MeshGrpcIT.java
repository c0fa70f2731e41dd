package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mesh name resolver and MeshGrpc.channel against real Netty servers on loopback. */
class MeshGrpcIT {
  private static final SimpleRequest REQUEST = SimpleRequest.getDefaultInstance();
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    MeshGrpc.clearDefault();
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private ManagedChannel track(ManagedChannel c) {
    channels.add(c);
    return c;
  }

  private static Mesh mesh(StaticDiscovery discovery) {
    return Mesh.builder().discovery(discovery).random(RandomSource.seeded(7)).openTelemetry(OpenTelemetry.noop())
        .eventLog(msg -> { }).build();
  }

  @Test
  void endpointsAddedAndRemovedThroughDiscoveryReachALiveChannel() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2)) {
      StaticDiscovery d = StaticDiscovery.of("orders", List.of(backends.get(0).endpoint()));
      try (Mesh m = mesh(d)) {
        var stub = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(m, "orders")));
        for (int i = 0; i < 10; i++) {
          assertThat(stub.unaryCall(REQUEST).getServerId()).isEqualTo("b0");
        }

        d.set("orders", backends.endpoints()); // b1 joins
        await().atMost(Duration.ofSeconds(10)).until(() -> {
          stub.unaryCall(REQUEST);
          return backends.get(1).calls.get() > 0;
        });

        d.set("orders", List.of(backends.get(1).endpoint())); // b0 leaves
        int b0Before = backends.get(0).calls.get();
        for (int i = 0; i < 20; i++) {
          assertThat(stub.unaryCall(REQUEST).getServerId()).isEqualTo("b1");
        }
        assertThat(backends.get(0).calls.get()).isEqualTo(b0Before);
      }
    }
  }

  @Test
  void emptyServiceFailsUnavailableNamingTheService() throws Exception {
    StaticDiscovery d = StaticDiscovery.of("empty", List.of());
    try (Mesh mesh = mesh(d)) {
      var stub = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(mesh, "empty")))
          .withDeadlineAfter(5, TimeUnit.SECONDS);
      assertThatThrownBy(() -> stub.unaryCall(REQUEST))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("service 'empty'").contains("no endpoints");
          });
    }
  }

  @Test
  void noEndpointsIsNotAFailureOfTheServiceForTheBreaker() throws Exception {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("empty", ServicePolicy.builder().retries(RetryPolicy.disabled())
        .circuitBreaker(CircuitBreakerPolicy.builder().minimumCalls(3).window(Duration.ofSeconds(60))
            .openDuration(Duration.ofSeconds(60)).build())
        .build());
    try (Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("empty", List.of())).policies(policies)
        .random(RandomSource.seeded(7)).openTelemetry(OpenTelemetry.noop()).eventLog(msg -> { }).build()) {
      var stub = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(mesh, "empty")))
          .withDeadlineAfter(5, TimeUnit.SECONDS);
      // The docs: a local status caused by NoEndpointsException tells the breaker nothing. Were the
      // picker's "no endpoints" counted as failures, the breaker would open after three calls.
      for (int i = 0; i < 6; i++) {
        assertThatThrownBy(() -> stub.unaryCall(REQUEST))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("service 'empty'").contains("no endpoints");
              assertThat(e.getStatus().getCause()).isInstanceOf(NoEndpointsException.class);
            });
      }
    }
  }

  @Test
  void unknownServiceFailsUnavailableNamingTheService() throws Exception {
    try (Mesh mesh = mesh(StaticDiscovery.create())) {
      var stub = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(mesh, "nowhere")))
          .withDeadlineAfter(5, TimeUnit.SECONDS);
      assertThatThrownBy(() -> stub.unaryCall(REQUEST))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("service 'nowhere'").contains("no endpoints");
          });
    }
  }

  @Test
  void plainTargetWithoutDefaultMeshFailsSayingWhatToCall() {
    MeshGrpc.clearDefault();
    assertThatThrownBy(() -> track(ManagedChannelBuilder.forTarget("mesh:///orders").usePlaintext().build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no Mesh for target 'mesh:///orders'")
        .hasMessageContaining("MeshGrpc.registerDefault(mesh)")
        .hasMessageContaining("MeshGrpc.channel(mesh, \"orders\")");
  }

  @Test
  void plainTargetUsesTheRegisteredDefaultMesh() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1);
        Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()))) {
      MeshGrpc.registerDefault(mesh);
      ManagedChannel channel = track(ManagedChannelBuilder.forTarget("mesh:///orders").usePlaintext().build());
      assertThat(TestServiceGrpc.newBlockingStub(channel).unaryCall(REQUEST).getServerId()).isEqualTo("b0");
      assertThat(mesh.service("orders").endpoints().get(0).requests()).isEqualTo(1);
    }
  }

  @Test
  void channelsOfTwoMeshesInOneJvmStayApart() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2);
        Mesh one = mesh(StaticDiscovery.of("orders", List.of(backends.get(0).endpoint())));
        Mesh two = mesh(StaticDiscovery.of("orders", List.of(backends.get(1).endpoint())))) {
      var s1 = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(one, "orders")));
      var s2 = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(two, "orders")));
      for (int i = 0; i < 5; i++) {
        assertThat(s1.unaryCall(REQUEST).getServerId()).isEqualTo("b0");
        assertThat(s2.unaryCall(REQUEST).getServerId()).isEqualTo("b1");
      }
    }
  }

  @Test
  void pickListenerReceivesTheDecisionTraceOfEachAttempt() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2);
        Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()))) {
      List<PickTrace> traces = new CopyOnWriteArrayList<>();
      var stub = TestServiceGrpc.newBlockingStub(track(MeshGrpc.channel(mesh, "orders")))
          .withOption(MeshCallOptions.PICK_LISTENER, traces::add);
      // Until both subchannels are connected a pick may fall back past the balancer's choice (no trace).
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        stub.unaryCall(REQUEST);
        return backends.get(0).calls.get() > 0 && backends.get(1).calls.get() > 0;
      });
      traces.clear();
      String server = stub.unaryCall(REQUEST).getServerId();
      assertThat(traces).hasSize(1);
      PickTrace trace = traces.get(0);
      assertThat(trace.algorithm()).isEqualTo("p2c-peak-ewma");
      assertThat(trace.chosen()).isNotNull();
      int port = trace.chosen().endpoint().port();
      assertThat(backends.get(server.equals("b0") ? 0 : 1).port).isEqualTo(port);
    }
  }

  @Test
  void targetNamesTheService() {
    assertThat(MeshGrpc.target("orders")).isEqualTo("mesh:///orders");
    assertThatThrownBy(() -> MeshGrpc.target("")).isInstanceOf(IllegalArgumentException.class);
    assertThat(MeshNameResolverProvider.serviceOf(java.net.URI.create("mesh:///orders"))).isEqualTo("orders");
    assertThat(MeshNameResolverProvider.serviceOf(java.net.URI.create("mesh:orders"))).isEqualTo("orders");
    assertThatThrownBy(() -> MeshNameResolverProvider.serviceOf(java.net.URI.create("mesh://host/orders")))
        .hasMessageContaining("authority");
  }
}
