package io.mesh4j.spring.boot.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.LongHistogramBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableDoubleCounter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link MeterProvider} that records every measurement in two: the application's OpenTelemetry meter
 * provider ({@code primary}) and another one ({@code secondary}, the Micrometer registry's). Used when
 * an application has both an OpenTelemetry SDK and a Micrometer registry, so the mesh's metrics reach
 * both.
 *
 * <p>Counters and histograms (synchronous, {@code long} and {@code double}) go to both. Every other
 * instrument (up-down counters, gauges, asynchronous instruments) goes to {@code primary} only.
 *
 * <p>Holds no state of its own: thread-safe as the two providers are.
 */
public final class FanOutMeterProvider implements MeterProvider {
  private final MeterProvider primary;
  private final MeterProvider secondary;

  /** Records in {@code primary} and {@code secondary}. */
  public FanOutMeterProvider(MeterProvider primary, MeterProvider secondary) {
    this.primary = Objects.requireNonNull(primary, "the primary meter provider is required");
    this.secondary = Objects.requireNonNull(secondary, "the secondary meter provider is required");
  }

  @Override
  public MeterBuilder meterBuilder(String instrumentationScopeName) {
    return new Builder(primary.meterBuilder(instrumentationScopeName),
        secondary.meterBuilder(instrumentationScopeName));
  }

  private static final class Builder implements MeterBuilder {
    private MeterBuilder a;
    private MeterBuilder b;

    Builder(MeterBuilder a, MeterBuilder b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public MeterBuilder setSchemaUrl(String schemaUrl) {
      a = a.setSchemaUrl(schemaUrl);
      b = b.setSchemaUrl(schemaUrl);
      return this;
    }

    @Override
    public MeterBuilder setInstrumentationVersion(String version) {
      a = a.setInstrumentationVersion(version);
      b = b.setInstrumentationVersion(version);
      return this;
    }

    @Override
    public Meter build() {
      return new FanOutMeter(a.build(), b.build());
    }
  }

  private record FanOutMeter(Meter a, Meter b) implements Meter {
    @Override
    public LongCounterBuilder counterBuilder(String name) {
      return new LongCounters(a.counterBuilder(name), b.counterBuilder(name));
    }

    @Override
    public DoubleHistogramBuilder histogramBuilder(String name) {
      return new DoubleHistograms(a.histogramBuilder(name), b.histogramBuilder(name));
    }

    @Override
    public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
      return a.upDownCounterBuilder(name);
    }

    @Override
    public DoubleGaugeBuilder gaugeBuilder(String name) {
      return a.gaugeBuilder(name);
    }
  }

  private static final class LongCounters implements LongCounterBuilder {
    private LongCounterBuilder a;
    private LongCounterBuilder b;

    LongCounters(LongCounterBuilder a, LongCounterBuilder b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public LongCounterBuilder setDescription(String description) {
      a = a.setDescription(description);
      b = b.setDescription(description);
      return this;
    }

    @Override
    public LongCounterBuilder setUnit(String unit) {
      a = a.setUnit(unit);
      b = b.setUnit(unit);
      return this;
    }

    @Override
    public DoubleCounterBuilder ofDoubles() {
      return new DoubleCounters(a.ofDoubles(), b.ofDoubles());
    }

    @Override
    public LongCounter build() {
      LongCounter x = a.build();
      LongCounter y = b.build();
      return new LongCounter() {
        @Override
        public void add(long value) {
          x.add(value);
          y.add(value);
        }

        @Override
        public void add(long value, Attributes attributes) {
          x.add(value, attributes);
          y.add(value, attributes);
        }

        @Override
        public void add(long value, Attributes attributes, Context context) {
          x.add(value, attributes, context);
          y.add(value, attributes, context);
        }
      };
    }

    @Override
    public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
      return a.buildWithCallback(callback);
    }
  }

  private static final class DoubleCounters implements DoubleCounterBuilder {
    private DoubleCounterBuilder a;
    private DoubleCounterBuilder b;

    DoubleCounters(DoubleCounterBuilder a, DoubleCounterBuilder b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public DoubleCounterBuilder setDescription(String description) {
      a = a.setDescription(description);
      b = b.setDescription(description);
      return this;
    }

    @Override
    public DoubleCounterBuilder setUnit(String unit) {
      a = a.setUnit(unit);
      b = b.setUnit(unit);
      return this;
    }

    @Override
    public DoubleCounter build() {
      DoubleCounter x = a.build();
      DoubleCounter y = b.build();
      return new DoubleCounter() {
        @Override
        public void add(double value) {
          x.add(value);
          y.add(value);
        }

        @Override
        public void add(double value, Attributes attributes) {
          x.add(value, attributes);
          y.add(value, attributes);
        }

        @Override
        public void add(double value, Attributes attributes, Context context) {
          x.add(value, attributes, context);
          y.add(value, attributes, context);
        }
      };
    }

    @Override
    public ObservableDoubleCounter buildWithCallback(Consumer<ObservableDoubleMeasurement> callback) {
      return a.buildWithCallback(callback);
    }
  }

  private static final class DoubleHistograms implements DoubleHistogramBuilder {
    private DoubleHistogramBuilder a;
    private DoubleHistogramBuilder b;

    DoubleHistograms(DoubleHistogramBuilder a, DoubleHistogramBuilder b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public DoubleHistogramBuilder setDescription(String description) {
      a = a.setDescription(description);
      b = b.setDescription(description);
      return this;
    }

    @Override
    public DoubleHistogramBuilder setUnit(String unit) {
      a = a.setUnit(unit);
      b = b.setUnit(unit);
      return this;
    }

    @Override
    public DoubleHistogramBuilder setExplicitBucketBoundariesAdvice(List<Double> bucketBoundaries) {
      a = a.setExplicitBucketBoundariesAdvice(bucketBoundaries);
      b = b.setExplicitBucketBoundariesAdvice(bucketBoundaries);
      return this;
    }

    @Override
    public LongHistogramBuilder ofLongs() {
      return new LongHistograms(a.ofLongs(), b.ofLongs());
    }

    @Override
    public DoubleHistogram build() {
      DoubleHistogram x = a.build();
      DoubleHistogram y = b.build();
      return new DoubleHistogram() {
        @Override
        public void record(double value) {
          x.record(value);
          y.record(value);
        }

        @Override
        public void record(double value, Attributes attributes) {
          x.record(value, attributes);
          y.record(value, attributes);
        }

        @Override
        public void record(double value, Attributes attributes, Context context) {
          x.record(value, attributes, context);
          y.record(value, attributes, context);
        }
      };
    }
  }

  private static final class LongHistograms implements LongHistogramBuilder {
    private LongHistogramBuilder a;
    private LongHistogramBuilder b;

    LongHistograms(LongHistogramBuilder a, LongHistogramBuilder b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public LongHistogramBuilder setDescription(String description) {
      a = a.setDescription(description);
      b = b.setDescription(description);
      return this;
    }

    @Override
    public LongHistogramBuilder setUnit(String unit) {
      a = a.setUnit(unit);
      b = b.setUnit(unit);
      return this;
    }

    @Override
    public LongHistogramBuilder setExplicitBucketBoundariesAdvice(List<Long> bucketBoundaries) {
      a = a.setExplicitBucketBoundariesAdvice(bucketBoundaries);
      b = b.setExplicitBucketBoundariesAdvice(bucketBoundaries);
      return this;
    }

    @Override
    public LongHistogram build() {
      LongHistogram x = a.build();
      LongHistogram y = b.build();
      return new LongHistogram() {
        @Override
        public void record(long value) {
          x.record(value);
          y.record(value);
        }

        @Override
        public void record(long value, Attributes attributes) {
          x.record(value, attributes);
          y.record(value, attributes);
        }

        @Override
        public void record(long value, Attributes attributes, Context context) {
          x.record(value, attributes, context);
          y.record(value, attributes, context);
        }
      };
    }
  }
}
