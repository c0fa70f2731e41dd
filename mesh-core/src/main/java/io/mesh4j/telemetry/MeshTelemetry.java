package io.mesh4j.telemetry;

import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.List;

/**
 * The mesh's OpenTelemetry instruments, created once per {@link io.mesh4j.Mesh}. Only
 * {@code opentelemetry-api} is used: with no SDK installed every instrument is a no-op, and
 * {@link #metricsEnabled()} / {@link #tracingEnabled()} let the request path skip building
 * attributes altogether.
 */
public final class MeshTelemetry {
  /** Instrumentation scope name. */
  public static final String SCOPE = "io.mesh4j";

  public static final AttributeKey<String> SERVICE = AttributeKey.stringKey("mesh.service");
  public static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("mesh.endpoint");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("mesh.outcome");
  public static final AttributeKey<String> BALANCER = AttributeKey.stringKey("mesh.balancer");
  public static final AttributeKey<String> DECISION = AttributeKey.stringKey("mesh.decision");
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("mesh.attempt");
  /** Why an attempt was retried, e.g. {@code status 503} or {@code status UNAVAILABLE}. */
  public static final AttributeKey<String> RETRY_REASON = AttributeKey.stringKey("mesh.retry.reason");
  /** The number of the attempt a hedge sent (2 for the first backup), on the {@code mesh.hedge} span event. */
  public static final AttributeKey<Long> HEDGE = AttributeKey.longKey("mesh.hedge");

  /** HTTP semantic-convention bucket boundaries for request duration, in seconds. */
  private static final List<Double> DURATION_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private final Tracer tracer;
  private final Meter meter;
  private final DoubleHistogram requestDuration;
  private final LongCounter attempts;
  private final LongCounter ejections;
  private final LongCounter retries;
  private final LongCounter hedges;
  private final TextMapPropagator propagator;
  private final boolean metricsEnabled;
  private final boolean tracingEnabled;

  public MeshTelemetry(OpenTelemetry otel, Ticker ticker) {
    this.tracer = otel.getTracer(SCOPE, "0.1.0");
    Meter meter = otel.getMeter(SCOPE);
    this.meter = meter;
    this.requestDuration = meter.histogramBuilder("http.client.request.duration")
        .setUnit("s")
        .setDescription("Duration of logical HTTP client calls made through the mesh (all attempts).")
        .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
        .build();
    this.attempts = meter.counterBuilder("mesh.client.attempts")
        .setUnit("{attempt}")
        .setDescription("Attempts sent to endpoints, by service, endpoint and outcome.")
        .build();
    this.ejections = meter.counterBuilder("mesh.client.ejections")
        .setUnit("{ejection}")
        .setDescription("Endpoints ejected by outlier detection.")
        .build();
    this.retries = meter.counterBuilder("mesh.client.retries")
        .setUnit("{retry}")
        .setDescription("Retries sent, by service and reason.")
        .build();
    this.hedges = meter.counterBuilder("mesh.client.hedges")
        .setUnit("{hedge}")
        .setDescription("Hedged (backup) attempts sent, by service.")
        .build();
    this.propagator = TextMapPropagator.composite(
        otel.getPropagators().getTextMapPropagator(), DeadlinePropagator.create(ticker));
    this.metricsEnabled = otel.getMeterProvider() != MeterProvider.noop();
    this.tracingEnabled = otel.getTracerProvider() != TracerProvider.noop();
  }

  public Tracer tracer() {
    return tracer;
  }

  /**
   * The mesh's meter (scope {@value #SCOPE}), for components that own their instruments, such as the
   * circuit breakers' {@code mesh.client.breaker.transitions}.
   */
  public Meter meter() {
    return meter;
  }

  /** {@code http.client.request.duration}, seconds. */
  public DoubleHistogram requestDuration() {
    return requestDuration;
  }

  /** {@code mesh.client.attempts}. */
  public LongCounter attempts() {
    return attempts;
  }

  /** {@code mesh.client.ejections}. */
  public LongCounter ejections() {
    return ejections;
  }

  /**
   * {@code mesh.client.retries}: one per attempt sent again after a failed one (HTTP: the mesh's retry
   * layer; gRPC: gRPC's own retries, configured by the mesh), with {@link #SERVICE} and {@link #RETRY_REASON}.
   */
  public LongCounter retries() {
    return retries;
  }

  /**
   * {@code mesh.client.hedges}: one per backup attempt sent while earlier attempts of the call were still
   * in flight (HTTP: the mesh's hedger; gRPC: gRPC's hedging, configured by the mesh), with {@link #SERVICE}.
   */
  public LongCounter hedges() {
    return hedges;
  }

  /** The application's propagators (W3C trace context, baggage…) plus the deadline header. */
  public TextMapPropagator propagator() {
    return propagator;
  }

  /** False when the application installed no metrics SDK: callers may skip building attributes. */
  public boolean metricsEnabled() {
    return metricsEnabled;
  }

  /** False when the application installed no tracing SDK. */
  public boolean tracingEnabled() {
    return tracingEnabled;
  }
}
