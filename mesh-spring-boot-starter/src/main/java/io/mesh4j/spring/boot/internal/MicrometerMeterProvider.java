package io.mesh4j.spring.boot.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import java.util.Objects;

/**
 * An OpenTelemetry {@link MeterProvider} that records into a Micrometer {@link MeterRegistry}, so that
 * code written against {@code opentelemetry-api} (the mesh's instruments) shows up wherever the
 * registry publishes: {@code /actuator/metrics}, {@code /actuator/prometheus}, OTLP...
 *
 * <p>Names are kept as they are ({@code mesh.client.attempts}), attribute keys become tag keys
 * ({@code mesh.service}); the registry's naming convention then applies (Prometheus:
 * {@code mesh_client_attempts_total}). Supported, because the mesh uses them:
 *
 * <ul>
 *   <li>counters, {@code long} and {@code double}: Micrometer {@code Counter}s ({@link MicrometerCounters});</li>
 *   <li>histograms, {@code double} and {@code long}: {@code Timer}s for units of time, else
 *       {@code DistributionSummary}s, with the bucket advice as service-level objectives
 *       ({@link MicrometerHistograms}).</li>
 * </ul>
 *
 * Not supported, and no-ops (nothing is recorded, nothing fails): up-down counters, gauges and every
 * asynchronous (callback) instrument. The instrumentation scope, its version and schema URL are not
 * kept: Micrometer has no such notion, and meters of the same name from two scopes are one meter.
 *
 * <p>Thread-safe: the provider holds only the registry; instruments keep their series in a concurrent
 * map ({@link MeterSeries}).
 */
public final class MicrometerMeterProvider implements MeterProvider {
  private static final Meter NOOP = MeterProvider.noop().get(MicrometerMeterProvider.class.getName());

  private final MicrometerMeter meter;

  /** Records into {@code registry}. */
  public MicrometerMeterProvider(MeterRegistry registry) {
    this.meter = new MicrometerMeter(Objects.requireNonNull(registry, "a MeterRegistry is required"));
  }

  @Override
  public MeterBuilder meterBuilder(String instrumentationScopeName) {
    return new MeterBuilder() {
      @Override
      public MeterBuilder setSchemaUrl(String schemaUrl) {
        return this;
      }

      @Override
      public MeterBuilder setInstrumentationVersion(String instrumentationScopeVersion) {
        return this;
      }

      @Override
      public Meter build() {
        return meter;
      }
    };
  }

  /** The one meter of the provider: every scope records into the same registry under the same names. */
  private static final class MicrometerMeter implements Meter {
    private final MeterRegistry registry;

    MicrometerMeter(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public LongCounterBuilder counterBuilder(String name) {
      return new MicrometerCounters.LongBuilder(registry, name);
    }

    @Override
    public DoubleHistogramBuilder histogramBuilder(String name) {
      return new MicrometerHistograms.DoubleBuilder(registry, name);
    }

    /** Not supported: a no-op instrument. */
    @Override
    public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
      return NOOP.upDownCounterBuilder(name);
    }

    /** Not supported: a no-op instrument. */
    @Override
    public DoubleGaugeBuilder gaugeBuilder(String name) {
      return NOOP.gaugeBuilder(name);
    }
  }
}
