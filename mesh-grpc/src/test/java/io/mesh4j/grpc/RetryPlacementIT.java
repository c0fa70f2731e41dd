package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Where a gRPC call's retries go, as on HTTP: to another endpoint than the attempt that just failed, and
 * within the subset the call was routed to. Before, the picker routed every pick on its own and never
 * knew the previous attempt's endpoint.
 */
class RetryPlacementIT {
  private static final String NO_EJECTION_NO_BREAKER = "\"outlier\": { \"enabled\": false }, \"circuitBreaker\": { \"enabled\": false }";

  private static Mesh mesh(StaticDiscovery discovery, StaticPolicySource policies) {
    return Mesh.builder().discovery(discovery).policies(policies).random(RandomSource.seeded(7))
        .openTelemetry(OpenTelemetry.noop()).eventLog(e -> { }).build();
  }

  /** One endpoint always fails UNAVAILABLE, the other answers: with 2 attempts no call fails. */
  @Test
  void aRetryAvoidsTheEndpointThatJustFailed() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2)) {
      backends.get(0).failWith = Status.UNAVAILABLE.withDescription("always down");
      StaticPolicySource policies = StaticPolicySource.create();
      policies.putJson("orders", "{ \"retries\": { \"maxAttempts\": 2, \"budget\": { \"percent\": 100 } }, "
          + NO_EJECTION_NO_BREAKER + " }");
      try (Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()), policies)) {
        ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
        try {
          var stub = TestServiceGrpc.newBlockingStub(channel);
          int failed = 0;
          for (int i = 0; i < 200; i++) {
            try {
              assertThat(stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryCall(SimpleRequest.getDefaultInstance())
                  .getServerId()).isEqualTo("b1");
            } catch (StatusRuntimeException e) {
              failed++;
            }
          }
          assertThat(failed).as("calls whose retry went back to the failing endpoint").isZero();
          assertThat(backends.get(0).calls.get()).as("first attempts on the failing endpoint").isPositive();
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  /**
   * A 50/50 split where every v2 endpoint fails: a call routed to v2 fails after its 3 attempts, all on
   * v2; a call routed to v1 succeeds at once. No call is rescued by a retry on v1, so the attempts add
   * up exactly. Before, each retry re-drew the split and half of them landed on v1.
   */
  @Test
  void aRetryStaysInTheSubsetItsCallWasRoutedTo() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(4)) {
      for (int i = 0; i < 4; i++) {
        backends.get(i).labels = Map.of("version", i < 2 ? "v1" : "v2");
      }
      backends.get(2).failWith = Status.UNAVAILABLE.withDescription("canary down");
      backends.get(3).failWith = Status.UNAVAILABLE.withDescription("canary down");
      StaticPolicySource policies = StaticPolicySource.create();
      policies.putJson("orders", """
          { "retries": { "maxAttempts": 3, "budget": { "percent": 100, "minPerSecond": 1000 } },
            "routes": [ { "name": "split", "destinations": [ { "labels": { "version": "v1" }, "weight": 50 },
                                                             { "labels": { "version": "v2" }, "weight": 50 } ] } ],
          """ + NO_EJECTION_NO_BREAKER + " }");
      try (Mesh mesh = mesh(StaticDiscovery.of("orders", backends.endpoints()), policies)) {
        ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
        try {
          var stub = TestServiceGrpc.newBlockingStub(channel);
          int ok = 0;
          int failed = 0;
          for (int i = 0; i < 100; i++) {
            try {
              stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryCall(SimpleRequest.getDefaultInstance());
              ok++;
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).as("%s", e.getStatus()).isEqualTo("canary down");
              failed++;
            }
          }
          int v1Calls = backends.get(0).calls.get() + backends.get(1).calls.get();
          int v2Calls = backends.get(2).calls.get() + backends.get(3).calls.get();
          assertThat(ok).isPositive();
          assertThat(failed).isPositive();
          assertThat(v1Calls).as("v1 served only calls routed to it, each at the first attempt").isEqualTo(ok);
          assertThat(v2Calls).as("each call routed to v2 made its 3 attempts there").isEqualTo(3 * failed);
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }
}
