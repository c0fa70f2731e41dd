package io.mesh4j.telemetry;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.MeshFixture;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.time.ManualTicker;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mesh's OpenTelemetry instruments, read back through an in-memory metric reader. */
class MeshTelemetryTest {
  private static final ServicePolicy POLICY =
      MeshFixture.outlierPolicy(2, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50);

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
      .build();

  @AfterEach
  void shutdown() {
    sdk.close();
  }

  private Optional<MetricData> ejections() {
    return reader.collectAllMetrics().stream().filter(m -> m.getName().equals("mesh.client.ejections")).findFirst();
  }

  private static Attributes endpoint(String address) {
    return Attributes.of(MeshTelemetry.SERVICE, MeshFixture.SERVICE, MeshTelemetry.ENDPOINT, address);
  }

  @Test
  void ejectionIncrementsTheEjectionsCounterWithServiceAndEndpoint() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(4), sdk)) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      f.fail(a, 1);
      assertThat(ejections()).as("no ejection yet").isEmpty();

      f.fail(a, 1);

      assertThat(a.isEjected()).isTrue();
      assertThat(ejections()).hasValueSatisfying(m -> assertThat(m)
          .hasUnit("{ejection}")
          .hasLongSumSatisfying(sum -> sum.isMonotonic().hasPointsSatisfying(
              p -> p.hasValue(1).hasAttributes(endpoint("10.0.0.1:8080")))));
    }
  }

  @Test
  void everyEjectionIsCountedPerEndpoint() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(4), sdk)) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      EndpointStats b = f.stats("10.0.0.2:8080");
      f.fail(a, 2);
      f.ticker.advance(Duration.ofSeconds(10));
      f.pick(); // readmits a
      f.fail(a, 2);
      f.fail(b, 2);
      f.fail(f.stats("10.0.0.3:8080"), 2); // over the 50 % cap: not ejected, not counted

      assertThat(ejections()).hasValueSatisfying(m -> assertThat(m)
          .hasLongSumSatisfying(sum -> sum.hasPointsSatisfying(
              p -> p.hasValue(2).hasAttributes(endpoint("10.0.0.1:8080")),
              p -> p.hasValue(1).hasAttributes(endpoint("10.0.0.2:8080")))));
    }
  }

  @Test
  void metricsAreReportedEnabledOnlyWithAMetricsSdk() {
    ManualTicker ticker = new ManualTicker();
    assertThat(new MeshTelemetry(sdk, ticker).metricsEnabled()).isTrue();
    assertThat(new MeshTelemetry(OpenTelemetry.noop(), ticker).metricsEnabled()).isFalse();
    assertThat(new MeshTelemetry(OpenTelemetry.noop(), ticker).tracingEnabled()).isFalse();
  }

  @Test
  void ejectionWithoutAMetricsSdkStillWorks() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(2), OpenTelemetry.noop())) {
      f.fail(f.stats("10.0.0.1:8080"), 2);

      assertThat(f.stats("10.0.0.1:8080").isEjected()).isTrue();
      assertThat(f.mesh.telemetry().metricsEnabled()).isFalse();
    }
  }

  @Test
  void propagatorAddsTheDeadlineHeaderOnTheMeshTicker() {
    try (MeshFixture f = MeshFixture.create(POLICY, MeshFixture.endpoints(1), sdk)) {
      Deadline d = Deadline.after(Duration.ofMillis(800), f.ticker);
      f.ticker.advance(Duration.ofMillis(300));
      Map<String, String> carrier = new HashMap<>();

      f.mesh.telemetry().propagator().inject(Context.root().with(d), carrier, Map::put);

      assertThat(f.mesh.telemetry().propagator().fields()).contains("mesh-timeout-ms");
      assertThat(carrier).containsEntry("mesh-timeout-ms", "500");
    }
  }
}
