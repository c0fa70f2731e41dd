package io.mesh4j.spring.boot.internal;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.LongHistogramBuilder;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry histograms as Micrometer meters of the same name, one per attribute set
 * ({@link MeterSeries}):
 *
 * <ul>
 *   <li>a unit of time ({@code s}, {@code ms}, {@code us}, {@code ns}) makes a {@link Timer}: values are
 *       converted, and every registry shows them in its own base unit (seconds for Prometheus, so
 *       {@code http.client.request.duration} is {@code http_client_request_duration_seconds} and the
 *       millisecond {@code rpc.client.duration} is {@code rpc_client_duration_seconds});</li>
 *   <li>any other unit makes a {@link DistributionSummary} with that base unit (none for an annotation
 *       such as {@code {request}}).</li>
 * </ul>
 *
 * The explicit bucket boundaries advice becomes the meter's service-level objectives, so a registry that
 * publishes histograms (Prometheus) has the same {@code le} buckets as the OpenTelemetry SDK would
 * (converted to seconds for timers). Boundaries that are not positive are left out (Micrometer has no
 * bucket at or below zero). Without advice the meter has no buckets of its own, and the registry's
 * meter filters decide ({@code management.metrics.distribution.*} in Spring Boot apply either way).
 *
 * <p>Negative, NaN and infinite values are dropped, as the OpenTelemetry SDK drops them.
 */
final class MicrometerHistograms {
  private MicrometerHistograms() {}

  /** Nanoseconds in one {@code unit}, or 0 when it is not a unit of time. */
  static double nanosPer(String unit) {
    if (unit == null) {
      return 0;
    }
    return switch (unit) {
      case "s" -> 1e9;
      case "ms" -> 1e6;
      case "us" -> 1e3;
      case "ns" -> 1;
      default -> 0;
    };
  }

  /** {@code histogramBuilder(name)}. */
  static final class DoubleBuilder implements DoubleHistogramBuilder {
    private final MeterRegistry registry;
    private final String name;
    private String description;
    private String unit;
    private List<? extends Number> buckets = List.of();

    DoubleBuilder(MeterRegistry registry, String name) {
      this.registry = registry;
      this.name = name;
    }

    @Override
    public DoubleHistogramBuilder setDescription(String description) {
      this.description = description;
      return this;
    }

    @Override
    public DoubleHistogramBuilder setUnit(String unit) {
      this.unit = unit;
      return this;
    }

    @Override
    public DoubleHistogramBuilder setExplicitBucketBoundariesAdvice(List<Double> bucketBoundaries) {
      this.buckets = bucketBoundaries == null ? List.of() : List.copyOf(bucketBoundaries);
      return this;
    }

    @Override
    public LongHistogramBuilder ofLongs() {
      return new LongBuilder(this);
    }

    @Override
    public DoubleHistogram build() {
      return instrument();
    }

    Instrument instrument() {
      double nanosPerUnit = nanosPer(unit);
      double[] slos = positive(buckets);
      if (nanosPerUnit > 0) {
        Duration[] durations = new Duration[slos.length];
        for (int i = 0; i < slos.length; i++) {
          durations[i] = Duration.ofNanos(Math.round(slos[i] * nanosPerUnit));
        }
        return new Instrument(nanosPerUnit, new MeterSeries<>(tags -> Timer.builder(name)
            .description(description)
            .serviceLevelObjectives(durations)
            .tags(tags)
            .register(registry)));
      }
      String baseUnit = MicrometerCounters.baseUnit(unit);
      return new Instrument(0, new MeterSeries<>(tags -> DistributionSummary.builder(name)
          .description(description)
          .baseUnit(baseUnit)
          .serviceLevelObjectives(slos)
          .tags(tags)
          .register(registry)));
    }

    private static double[] positive(List<? extends Number> boundaries) {
      List<Double> kept = new ArrayList<>();
      for (Number n : boundaries) {
        double d = n.doubleValue();
        if (d > 0 && Double.isFinite(d)) {
          kept.add(d);
        }
      }
      double[] out = new double[kept.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = kept.get(i);
      }
      return out;
    }
  }

  /** {@code histogramBuilder(name).ofLongs()}: the same meters, fed {@code long} values. */
  static final class LongBuilder implements LongHistogramBuilder {
    private final DoubleBuilder doubles;

    LongBuilder(DoubleBuilder doubles) {
      this.doubles = doubles;
    }

    @Override
    public LongHistogramBuilder setDescription(String description) {
      doubles.setDescription(description);
      return this;
    }

    @Override
    public LongHistogramBuilder setUnit(String unit) {
      doubles.setUnit(unit);
      return this;
    }

    @Override
    public LongHistogramBuilder setExplicitBucketBoundariesAdvice(List<Long> bucketBoundaries) {
      doubles.buckets = bucketBoundaries == null ? List.of() : List.copyOf(bucketBoundaries);
      return this;
    }

    @Override
    public LongHistogram build() {
      return doubles.instrument();
    }
  }

  /**
   * A histogram: a {@link Timer} per series when {@code nanosPerUnit > 0}, else a
   * {@link DistributionSummary}. The context is not used.
   */
  static final class Instrument implements DoubleHistogram, LongHistogram {
    private final double nanosPerUnit;
    private final MeterSeries<?> series;

    Instrument(double nanosPerUnit, MeterSeries<?> series) {
      this.nanosPerUnit = nanosPerUnit;
      this.series = series;
    }

    @Override
    public boolean isEnabled() {
      return true;
    }

    @Override
    public void record(double value) {
      record(value, Attributes.empty());
    }

    @Override
    public void record(double value, Attributes attributes, Context context) {
      record(value, attributes);
    }

    @Override
    public void record(double value, Attributes attributes) {
      if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
        return; // negative or NaN
      }
      Object meter = series.get(attributes);
      if (nanosPerUnit > 0) {
        ((Timer) meter).record(Math.round(value * nanosPerUnit), TimeUnit.NANOSECONDS);
      } else {
        ((DistributionSummary) meter).record(value);
      }
    }

    @Override
    public void record(long value) {
      record((double) value, Attributes.empty());
    }

    @Override
    public void record(long value, Attributes attributes) {
      record((double) value, attributes);
    }

    @Override
    public void record(long value, Attributes attributes, Context context) {
      record((double) value, attributes);
    }
  }
}
