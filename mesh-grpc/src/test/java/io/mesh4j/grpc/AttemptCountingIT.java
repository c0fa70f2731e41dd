package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC's own retries and hedges (configured by the mesh's service config, run below the interceptors)
 * are counted by the mesh as the HTTP stack counts its own: {@code mesh.client.retries} with the failed
 * attempt's code as the reason, {@code mesh.client.hedges}, and {@code mesh.retry} / {@code mesh.hedge}
 * events on the call's span.
 */
class AttemptCountingIT {
  private static final String NO_EJECTION_NO_BREAKER =
      "\"outlier\": { \"enabled\": false }, \"circuitBreaker\": { \"enabled\": false }";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private OpenTelemetrySdk otel;

  @BeforeEach
  void sdk() {
    otel = IcptFixtures.otel(spans, metrics);
  }

  @AfterEach
  void closeSdk() {
    otel.close();
  }

  private Mesh mesh(GrpcBackends backends, String policy) {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("orders", policy);
    return Mesh.builder().discovery(StaticDiscovery.of("orders", backends.endpoints())).policies(policies)
        .openTelemetry(otel).eventLog(e -> { }).build();
  }

  @Test
  void everyRetryIsCountedWithTheFailedAttemptsCode() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1);
        Mesh mesh = mesh(backends, "{ \"retries\": { \"maxAttempts\": 3, \"budget\": { \"percent\": 100 } }, "
            + NO_EJECTION_NO_BREAKER + " }")) {
      backends.get(0).failWith = Status.UNAVAILABLE.withDescription("always down");
      ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> stub.unaryCall(SimpleRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(backends.get(0).calls.get()).as("attempts the server saw").isEqualTo(3);
      LongPointData retries = onlyPoint("mesh.client.retries");
      assertThat(retries.getValue()).isEqualTo(2);
      assertThat(retries.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("orders");
      assertThat(retries.getAttributes().get(MeshTelemetry.RETRY_REASON)).isEqualTo("status UNAVAILABLE");
      assertThat(metric("mesh.client.hedges")).isNull();
      List<EventData> events = events("mesh.retry");
      assertThat(events).extracting(e -> e.getAttributes().get(MeshTelemetry.ATTEMPT)).containsExactly(2L, 3L);
    }
  }

  @Test
  void aBackupSentWhileTheFirstAttemptIsInFlightIsAHedge() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1);
        Mesh mesh = mesh(backends, "{ \"hedging\": { \"enabled\": true, \"delay\": \"10ms\", \"maxAttempts\": 2 }, "
            + "\"retries\": { \"budget\": { \"percent\": 100 } }, " + NO_EJECTION_NO_BREAKER + " }")) {
      backends.get(0).holdFirstUntilSecond = true; // the first attempt answers once the backup has arrived
      ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        assertThat(stub.unaryCall(SimpleRequest.getDefaultInstance()).getServerId()).isEqualTo("b0");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(backends.get(0).calls.get()).as("attempts the server saw").isEqualTo(2);
      LongPointData hedges = onlyPoint("mesh.client.hedges");
      assertThat(hedges.getValue()).isEqualTo(1);
      assertThat(hedges.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("orders");
      assertThat(metric("mesh.client.retries")).isNull();
      assertThat(events("mesh.hedge")).extracting(e -> e.getAttributes().get(MeshTelemetry.HEDGE))
          .containsExactly(2L);
    }
  }

  private MetricData metric(String name) {
    return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst().orElse(null);
  }

  private LongPointData onlyPoint(String name) {
    MetricData m = metric(name);
    assertThat(m).as("metric " + name).isNotNull();
    assertThat(m.getLongSumData().getPoints()).as("points of " + name).hasSize(1);
    return m.getLongSumData().getPoints().iterator().next();
  }

  /** The events named {@code name} on the one CLIENT span of the test's call. */
  private List<EventData> events(String name) {
    List<SpanData> client = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CLIENT).toList();
    assertThat(client).as("client spans").hasSize(1);
    return client.get(0).getEvents().stream().filter(e -> e.getName().equals(name)).toList();
  }
}
