package io.mesh4j.spring.boot.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import java.util.Objects;

/**
 * The {@link OpenTelemetry} the mesh is given when the application has a Micrometer registry: the
 * application's own (tracer provider, propagators, logs) with a meter provider that also, or only,
 * records into the registry. See {@link #withRegistry}.
 */
public final class MicrometerOpenTelemetry implements OpenTelemetry {
  private final OpenTelemetry delegate;
  private final MeterProvider meterProvider;

  private MicrometerOpenTelemetry(OpenTelemetry delegate, MeterProvider meterProvider) {
    this.delegate = delegate;
    this.meterProvider = meterProvider;
  }

  /**
   * {@code openTelemetry} with its metrics recorded in {@code registry} too: when it has a meter
   * provider (an SDK), every measurement goes to both ({@link FanOutMeterProvider}); when its meter
   * provider is the no-op one, to the registry only ({@link MicrometerMeterProvider}). Tracing,
   * propagation and logs are {@code openTelemetry}'s.
   */
  public static OpenTelemetry withRegistry(OpenTelemetry openTelemetry, MeterRegistry registry) {
    Objects.requireNonNull(openTelemetry, "an OpenTelemetry is required");
    MeterProvider micrometer = new MicrometerMeterProvider(registry);
    MeterProvider own = openTelemetry.getMeterProvider();
    MeterProvider provider = own == MeterProvider.noop() ? micrometer : new FanOutMeterProvider(own, micrometer);
    return new MicrometerOpenTelemetry(openTelemetry, provider);
  }

  @Override
  public TracerProvider getTracerProvider() {
    return delegate.getTracerProvider();
  }

  @Override
  public MeterProvider getMeterProvider() {
    return meterProvider;
  }

  @Override
  public LoggerProvider getLogsBridge() {
    return delegate.getLogsBridge();
  }

  @Override
  public ContextPropagators getPropagators() {
    return delegate.getPropagators();
  }

  @Override
  public String toString() {
    return "MicrometerOpenTelemetry{delegate=" + delegate + ", meterProvider=" + meterProvider + "}";
  }
}
