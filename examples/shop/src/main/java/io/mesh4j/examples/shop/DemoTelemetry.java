package io.mesh4j.examples.shop;

import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One OpenTelemetry SDK for every mesh in the demo (each service instance gets it as its application's
 * {@code OpenTelemetry} bean, which the starter hands to its {@code Mesh}). Nothing is exported: the
 * live view reads what the mesh emits, in process:
 *
 * <ul>
 *   <li>retries: the mesh's {@code mesh.client.retries} counter (attribute {@code mesh.service}: the
 *       service called), through an in-memory metric reader;
 *   <li>hedges: the mesh has no hedge counter; it adds a {@code mesh.hedge} event to the client span of
 *       the call, so a span processor counts those events per service.
 * </ul>
 */
final class DemoTelemetry implements AutoCloseable {
  private static final String RETRIES = "mesh.client.retries";

  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final Map<String, LongAdder> hedges = new ConcurrentHashMap<>();
  private final OpenTelemetrySdk sdk;

  DemoTelemetry() {
    sdk = OpenTelemetrySdk.builder()
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(new HedgeCounter()).build())
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
    Map<String, Long> byService = new HashMap<>();
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals(RETRIES)) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          byService.merge(p.getAttributes().get(MeshTelemetry.SERVICE), p.getValue(), Long::sum);
        }
      }
    }
    return byService;
  }

  /** Hedged (backup) attempts sent so far to each service. */
  Map<String, Long> hedges() {
    Map<String, Long> byService = new HashMap<>();
    hedges.forEach((service, n) -> byService.put(service, n.sum()));
    return byService;
  }

  @Override
  public void close() {
    sdk.close();
  }

  /** Counts {@code mesh.hedge} events on the mesh's client spans as they end; keeps nothing else. */
  private final class HedgeCounter implements SpanProcessor {
    private static final AttributeKey<String> SERVICE = MeshTelemetry.SERVICE;

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
      String service = span.getAttribute(SERVICE);
      if (service == null || span.getKind() != SpanKind.CLIENT) {
        return;
      }
      long n = 0;
      for (EventData e : span.toSpanData().getEvents()) {
        if (e.getName().equals("mesh.hedge")) {
          n++;
        }
      }
      if (n > 0) {
        hedges.computeIfAbsent(service, k -> new LongAdder()).add(n);
      }
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }
  }
}
