package io.mesh4j.spring.boot.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableDoubleCounter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import java.util.function.Consumer;

/**
 * OpenTelemetry counters ({@code long} and {@code double}) as Micrometer {@link Counter}s of the same
 * name, one per attribute set ({@link MeterSeries}). The unit becomes the counter's base unit unless it
 * is an annotation such as {@code {attempt}}, which Prometheus would otherwise put into the series name;
 * so {@code mesh.client.attempts} is {@code mesh_client_attempts_total} there.
 *
 * <p>Negative increments are dropped, as the OpenTelemetry SDK drops them: a counter only goes up.
 * Asynchronous counters ({@code buildWithCallback}) are not supported and are no-ops; the mesh does not
 * use them.
 */
final class MicrometerCounters {
  private static final Meter NOOP = MeterProvider.noop().get(MicrometerMeterProvider.class.getName());

  private MicrometerCounters() {}

  /** The base unit for an OpenTelemetry unit: null for none or an annotation ({@code {retry}}). */
  static String baseUnit(String unit) {
    return unit == null || unit.isEmpty() || (unit.startsWith("{") && unit.endsWith("}")) ? null : unit;
  }

  /** {@code counterBuilder(name)}. */
  static final class LongBuilder implements LongCounterBuilder {
    private final MeterRegistry registry;
    private final String name;
    private String description;
    private String unit;

    LongBuilder(MeterRegistry registry, String name) {
      this.registry = registry;
      this.name = name;
    }

    @Override
    public LongCounterBuilder setDescription(String description) {
      this.description = description;
      return this;
    }

    @Override
    public LongCounterBuilder setUnit(String unit) {
      this.unit = unit;
      return this;
    }

    @Override
    public DoubleCounterBuilder ofDoubles() {
      return new DoubleBuilder(this);
    }

    @Override
    public LongCounter build() {
      return new Instrument(registry, name, description, unit);
    }

    /** Not supported: a no-op. */
    @Override
    public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
      return NOOP.counterBuilder(name).buildWithCallback(callback);
    }
  }

  /** {@code counterBuilder(name).ofDoubles()}. */
  static final class DoubleBuilder implements DoubleCounterBuilder {
    private final LongBuilder longs;

    DoubleBuilder(LongBuilder longs) {
      this.longs = longs;
    }

    @Override
    public DoubleCounterBuilder setDescription(String description) {
      longs.setDescription(description);
      return this;
    }

    @Override
    public DoubleCounterBuilder setUnit(String unit) {
      longs.setUnit(unit);
      return this;
    }

    @Override
    public DoubleCounter build() {
      return new Instrument(longs.registry, longs.name, longs.description, longs.unit);
    }

    /** Not supported: a no-op. */
    @Override
    public ObservableDoubleCounter buildWithCallback(Consumer<ObservableDoubleMeasurement> callback) {
      return NOOP.counterBuilder(longs.name).ofDoubles().buildWithCallback(callback);
    }
  }

  /** A counter; the context is not used (Micrometer takes exemplars from its own tracing bridge). */
  static final class Instrument implements LongCounter, DoubleCounter {
    private final MeterSeries<Counter> series;

    Instrument(MeterRegistry registry, String name, String description, String unit) {
      String baseUnit = baseUnit(unit);
      this.series = new MeterSeries<>(tags -> Counter.builder(name)
          .description(description)
          .baseUnit(baseUnit)
          .tags(tags)
          .register(registry));
    }

    @Override
    public boolean isEnabled() {
      return true;
    }

    @Override
    public void add(long value) {
      add((double) value, Attributes.empty());
    }

    @Override
    public void add(long value, Attributes attributes) {
      add((double) value, attributes);
    }

    @Override
    public void add(long value, Attributes attributes, Context context) {
      add((double) value, attributes);
    }

    @Override
    public void add(double value) {
      add(value, Attributes.empty());
    }

    @Override
    public void add(double value, Attributes attributes, Context context) {
      add(value, attributes);
    }

    @Override
    public void add(double value, Attributes attributes) {
      if (value >= 0 && value != Double.POSITIVE_INFINITY) {
        series.get(attributes).increment(value);
      }
    }
  }
}
