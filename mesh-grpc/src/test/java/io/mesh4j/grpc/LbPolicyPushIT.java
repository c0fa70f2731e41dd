package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.Route;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Policy pushed at run time reaches a live channel through the service config; routes apply to gRPC. */
class LbPolicyPushIT {
  private static final SimpleRequest REQUEST = SimpleRequest.getDefaultInstance();

  private static Mesh mesh(StaticDiscovery discovery, StaticPolicySource policies) {
    return Mesh.builder().discovery(discovery).policies(policies).random(RandomSource.seeded(3))
        .openTelemetry(OpenTelemetry.noop()).eventLog(msg -> { }).build();
  }

  private static ServicePolicy withTotal(Duration total, RetryPolicy retries) {
    return ServicePolicy.builder().totalTimeout(total).retries(retries).build();
  }

  /** Retries with a budget big enough that throttling never interferes with counting attempts. */
  private static RetryPolicy attempts(int n) {
    return RetryPolicy.builder().maxAttempts(n).backoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .budget(20, 100, Duration.ofSeconds(10)).build();
  }

  @Test
  void pushedTimeoutChangesALiveChannel() throws Exception {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("orders", withTotal(Duration.ofSeconds(2), attempts(3)));
    try (GrpcBackends backends = GrpcBackends.start(1);
        Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()), policies)) {
      backends.get(0).delayMillis = 300;
      ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel);
        assertThat(stub.unaryCall(REQUEST).getServerId()).isEqualTo("b0"); // 300 ms < 2 s

        policies.put("orders", withTotal(Duration.ofMillis(100), attempts(3)));
        // The push reaches the channel on its synchronization context; new calls get the new config.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThatThrownBy(() -> stub.unaryCall(REQUEST))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED)));
        long start = System.nanoTime();
        assertThatThrownBy(() -> stub.unaryCall(REQUEST)).isInstanceOf(StatusRuntimeException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(290));

        policies.put("orders", withTotal(Duration.ofSeconds(2), attempts(3)));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(stub.unaryCall(REQUEST).getServerId()).isEqualTo("b0"));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void pushedMaxAttemptsChangesALiveChannel() throws Exception {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("orders", withTotal(Duration.ofSeconds(5), attempts(2)));
    try (GrpcBackends backends = GrpcBackends.start(1);
        Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()), policies)) {
      GrpcBackends.Backend b = backends.get(0);
      b.failWith = Status.UNAVAILABLE.withDescription("overloaded");
      ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> stub.unaryCall(REQUEST)).isInstanceOf(StatusRuntimeException.class);
        assertThat(b.calls.get()).as("attempts with maxAttempts 2").isEqualTo(2);

        policies.put("orders", withTotal(Duration.ofSeconds(5), attempts(4)));
        b.calls.set(0);
        assertThatThrownBy(() -> stub.unaryCall(REQUEST)).isInstanceOf(StatusRuntimeException.class);
        assertThat(b.calls.get()).as("attempts with maxAttempts 4").isEqualTo(4);

        policies.put("orders", withTotal(Duration.ofSeconds(5), RetryPolicy.disabled()));
        b.calls.set(0);
        assertThatThrownBy(() -> stub.unaryCall(REQUEST)).isInstanceOf(StatusRuntimeException.class);
        assertThat(b.calls.get()).as("attempts with retries disabled").isEqualTo(1);

        // An application error is not retried, and is no failure of the endpoint.
        policies.put("orders", withTotal(Duration.ofSeconds(5), attempts(4)));
        b.failWith = Status.NOT_FOUND;
        b.calls.set(0);
        assertThatThrownBy(() -> stub.unaryCall(REQUEST)).isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(b.calls.get()).isEqualTo(1);
        assertThat(mesh.service("orders").endpoints().get(0).consecutiveFailures()).isZero();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void headerRouteAndPathPrefixSelectTheSubset() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2)) {
      backends.get(0).labels = Map.of("version", "v1");
      backends.get(1).labels = Map.of("version", "v2");
      StaticPolicySource policies = StaticPolicySource.create();
      policies.put("orders", ServicePolicy.builder().routes(List.of(
          new Route("canary", Set.of(), "", Map.of("x-canary", "true"),
              List.of(new Route.Destination(Map.of("version", "v2"), 100)), null, null),
          new Route("stable", Set.of("POST"), "/grpc.testing.TestService/", Map.of(),
              List.of(new Route.Destination(Map.of("version", "v1"), 100)), null, null)))
          .build());
      try (Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()), policies)) {
        ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
        try {
          var stub = TestServiceGrpc.newBlockingStub(channel);
          Metadata canary = new Metadata();
          canary.put(Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER), "true");
          var canaryStub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(canary));
          for (int i = 0; i < 20; i++) {
            assertThat(stub.unaryCall(REQUEST).getServerId()).isEqualTo("b0");
            assertThat(canaryStub.unaryCall(REQUEST).getServerId()).isEqualTo("b1");
          }
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }
}
