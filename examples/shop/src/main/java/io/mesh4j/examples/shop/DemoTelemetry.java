package io.mesh4j.examples.shop;

import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import java.util.HashMap;
import java.util.Map;

/**
 * One OpenTelemetry SDK for every mesh in the demo (each service instance gets it as its application's
 * {@code OpenTelemetry} bean, which the starter hands to its {@code Mesh}; the load generator's mesh gets
 * it too). Nothing is exported: the live view and the steps read, through an in-memory metric reader,
 * the counters the meshes emit (attribute {@code mesh.service}: the service called):
 *
 * <ul>
 *   <li>{@code mesh.client.retries}: attempts sent again after a failed one — the HTTP retry layer's, and
 *       gRPC's own retries (configured by the mesh), counted by the mesh's client interceptor;
 *   <li>{@code mesh.client.hedges}: backups sent while an earlier attempt was in flight, both transports.
 * </ul>
 */
final class DemoTelemetry implements AutoCloseable {
  private static final String RETRIES = "mesh.client.retries";
  private static final String HEDGES = "mesh.client.hedges";

  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk;

  DemoTelemetry() {
    sdk = OpenTelemetrySdk.builder()
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /**
   * The SDK behind an {@link OpenTelemetry} that has no {@code close()}: the instances' application
   * contexts close when an instance is killed, and must not shut the shared SDK down with them.
   */
  OpenTelemetry openTelemetry() {
    return new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return sdk.getTracerProvider();
      }

      @Override
      public MeterProvider getMeterProvider() {
        return sdk.getMeterProvider();
      }

      @Override
      public ContextPropagators getPropagators() {
        return sdk.getPropagators();
      }
    };
  }

  /** Retries sent so far to each service, by every mesh in the demo together. */
  Map<String, Long> retries() {
    return byService(RETRIES);
  }

  /** Hedged (backup) attempts sent so far to each service, by every mesh in the demo together. */
  Map<String, Long> hedges() {
    return byService(HEDGES);
  }

  private Map<String, Long> byService(String counter) {
    Map<String, Long> byService = new HashMap<>();
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals(counter)) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          byService.merge(p.getAttributes().get(MeshTelemetry.SERVICE), p.getValue(), Long::sum);
        }
      }
    }
    return byService;
  }

  @Override
  public void close() {
    sdk.close();
  }
}
