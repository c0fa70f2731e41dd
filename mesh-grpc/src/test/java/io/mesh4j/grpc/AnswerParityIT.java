package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Rows of the HTTP/gRPC parity table in docs/concepts.md, on gRPC; mesh-http's AnswerParityIT runs the
 * same rows on HTTP. Before the one {@link io.mesh4j.AnswerClass}, RESOURCE_EXHAUSTED ejected endpoints on
 * gRPC only, and {@code retryOn: [429]} mapped to UNAVAILABLE, so an injected 429 was never retried.
 */
class AnswerParityIT {

  private static Mesh mesh(GrpcBackends backends, String policyJson) {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("orders", policyJson);
    return Mesh.builder().discovery(StaticDiscovery.of("orders", backends.endpoints())).policies(policies)
        .random(RandomSource.seeded(3)).openTelemetry(OpenTelemetry.noop()).eventLog(e -> { }).build();
  }

  @Test
  void overloadAnswersDoNotEjectTheEndpoint() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1)) {
      backends.get(0).failWith = Status.RESOURCE_EXHAUSTED.withDescription("busy");
      try (Mesh mesh = mesh(backends, """
          { "retries": { "enabled": false }, "outlier": { "consecutiveFailures": 2 },
            "circuitBreaker": { "enabled": false } }""")) {
        ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
        try {
          var stub = TestServiceGrpc.newBlockingStub(channel);
          for (int i = 0; i < 20; i++) {
            try {
              stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryCall(SimpleRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            }
          }
          EndpointStats e = mesh.service("orders").endpoints().get(0);
          assertThat(e.isEjected()).isFalse();
          assertThat(e.failures()).isZero();
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void retryOn429RetriesAnInjected429() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1);
         Mesh mesh = mesh(backends, """
             { "retries": { "maxAttempts": 5, "retryOn": [429], "budget": { "percent": 100, "minPerSecond": 1000 } },
               "faults": { "abort": { "percent": 30, "status": 429 } } }""")) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel);
        int failed = 0;
        for (int i = 0; i < 100; i++) {
          try {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryCall(SimpleRequest.getDefaultInstance());
          } catch (StatusRuntimeException e) {
            failed++;
          }
        }
        assertThat(failed).isLessThanOrEqualTo(2);
        assertThat(backends.get(0).calls.get()).isEqualTo(100 - failed);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
