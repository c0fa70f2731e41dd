package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An attempt cut short by the call's deadline teaches the balancer that its endpoint was at least that
 * slow, as a timed-out attempt does on HTTP — with and without gRPC's retries in the way.
 */
class DeadlineLearningIT {

  @Test
  void aCallCutByItsDeadlineRecordsItsLatencyOnTheEndpoint() throws Exception {
    for (String retries : new String[] {"{ \"enabled\": false }", "{ \"maxAttempts\": 3 }"}) {
      try (GrpcBackends backends = GrpcBackends.start(1)) {
        StaticPolicySource policies = StaticPolicySource.create();
        policies.putJson("orders", "{ \"retries\": " + retries + " }");
        try (Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", backends.endpoints()))
            .policies(policies).random(RandomSource.seeded(1)).openTelemetry(OpenTelemetry.noop())
            .eventLog(e -> { }).build()) {
          ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
          try {
            var stub = TestServiceGrpc.newBlockingStub(channel);
            // Connected and warm first, so that the cut call below is on an open connection.
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).unaryCall(SimpleRequest.getDefaultInstance());
            backends.get(0).delayMillis = 2_000;
            try {
              stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).unaryCall(SimpleRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            }
            ServiceRuntime rt = mesh.service("orders");
            EndpointStats e = rt.endpoints().get(0);
            // The attempt closes on a transport thread, shortly after the caller got its error.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(e.ewmaNanos(rt.ticker().nanoTime(), rt.policy().balancer().decay().toNanos()) / 1e6)
                    .as("retries %s: the EWMA after a call cut at 300 ms", retries).isGreaterThan(250));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(e.pending()).isZero());
          } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        }
      }
    }
  }
}
