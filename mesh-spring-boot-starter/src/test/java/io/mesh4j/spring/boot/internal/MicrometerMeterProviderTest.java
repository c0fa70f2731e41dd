package io.mesh4j.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The OpenTelemetry-to-Micrometer adapter on its own, against real registries. */
class MicrometerMeterProviderTest {
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("mesh.service");
  static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("mesh.endpoint");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("mesh.outcome");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final List<Double> SECONDS_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meter meter = new MicrometerMeterProvider(registry).get("io.mesh4j");

  @Test
  void counterAddsWithAttributesAsTags() {
    LongCounter attempts = meter.counterBuilder("mesh.client.attempts")
        .setUnit("{attempt}").setDescription("Attempts sent to endpoints.").build();
    attempts.add(1, Attributes.of(SERVICE, "orders", ENDPOINT, "10.0.0.1:80", OUTCOME, "success"));
    // Equal attributes built another way, in another order: the same series.
    attempts.add(2, Attributes.builder().put(OUTCOME, "success").put(ENDPOINT, "10.0.0.1:80")
        .put(SERVICE, "orders").build());
    attempts.add(1, Attributes.of(SERVICE, "orders", ENDPOINT, "10.0.0.1:80", OUTCOME, "failure"));
    attempts.add(-5, Attributes.of(SERVICE, "orders", ENDPOINT, "10.0.0.1:80", OUTCOME, "success"));

    Counter success = registry.get("mesh.client.attempts")
        .tags("mesh.service", "orders", "mesh.endpoint", "10.0.0.1:80", "mesh.outcome", "success").counter();
    assertThat(success.count()).isEqualTo(3.0);
    assertThat(success.getId().getBaseUnit()).as("an annotation is not a unit").isNull();
    assertThat(success.getId().getDescription()).isEqualTo("Attempts sent to endpoints.");
    assertThat(registry.get("mesh.client.attempts").tag("mesh.outcome", "failure").counter().count())
        .isEqualTo(1.0);
    assertThat(registry.get("mesh.client.attempts").counters()).hasSize(2);
  }

  @Test
  void doubleCounterAndNoAttributes() {
    meter.counterBuilder("work.done").ofDoubles().setUnit("By").build().add(1.5);
    Counter c = registry.get("work.done").counter();
    assertThat(c.count()).isEqualTo(1.5);
    assertThat(c.getId().getTags()).isEmpty();
    assertThat(c.getId().getBaseUnit()).isEqualTo("By");
  }

  @Test
  void secondsHistogramIsATimerWithTheAdvisedBuckets() {
    DoubleHistogram duration = meter.histogramBuilder("http.client.request.duration")
        .setUnit("s").setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
    Attributes ok = Attributes.of(METHOD, "GET", STATUS, 200L);
    duration.record(0.02, ok);
    duration.record(0.3, ok);
    duration.record(-1, ok);
    duration.record(Double.NaN, ok);

    Timer timer = registry.get("http.client.request.duration")
        .tags("http.request.method", "GET", "http.response.status_code", "200").timer();
    assertThat(timer.count()).isEqualTo(2);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(320.0, within(1e-6));
    CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
    assertThat(Arrays.stream(buckets).map(b -> b.bucket(TimeUnit.SECONDS)).toList())
        .containsExactlyElementsOf(SECONDS_BUCKETS);
    assertThat(Arrays.stream(buckets).filter(b -> b.bucket(TimeUnit.SECONDS) == 0.025).findFirst()
        .orElseThrow().count()).isEqualTo(1.0);
  }

  @Test
  void millisecondHistogramIsATimerInItsOwnUnit() {
    DoubleHistogram rpc = meter.histogramBuilder("rpc.client.duration").setUnit("ms")
        .setExplicitBucketBoundariesAdvice(List.of(0.0, 5.0, 250.0)).build();
    rpc.record(250.0, Attributes.of(AttributeKey.longKey("rpc.grpc.status_code"), 0L));
    Timer timer = registry.get("rpc.client.duration").tag("rpc.grpc.status_code", "0").timer();
    assertThat(timer.totalTime(TimeUnit.SECONDS)).isCloseTo(0.25, within(1e-9));
    // 0 is not a bucket Micrometer can have: left out.
    assertThat(Arrays.stream(timer.takeSnapshot().histogramCounts()).map(b -> b.bucket(TimeUnit.MILLISECONDS)))
        .containsExactly(5.0, 250.0);
  }

  @Test
  void otherUnitsAreDistributionSummaries() {
    meter.histogramBuilder("payload.size").setUnit("By").build().record(512);
    meter.histogramBuilder("batch.size").setUnit("{item}").ofLongs().build().record(7L);
    DistributionSummary bytes = registry.get("payload.size").summary();
    assertThat(bytes.totalAmount()).isEqualTo(512.0);
    assertThat(bytes.getId().getBaseUnit()).isEqualTo("By");
    DistributionSummary items = registry.get("batch.size").summary();
    assertThat(items.totalAmount()).isEqualTo(7.0);
    assertThat(items.getId().getBaseUnit()).isNull();
  }

  @Test
  void unsupportedInstrumentsAreNoOps() {
    meter.upDownCounterBuilder("in.flight").build().add(3);
    meter.gaugeBuilder("temperature").buildWithCallback(m -> m.record(20));
    meter.counterBuilder("observed").buildWithCallback(m -> m.record(1));
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void seriesAreRegisteredOncePerAttributeSet() {
    AtomicInteger registrations = new AtomicInteger();
    MeterSeries<Counter> series = new MeterSeries<>(tags -> {
      registrations.incrementAndGet();
      return Counter.builder("c").tags(tags).register(registry);
    });
    Counter first = series.get(Attributes.of(SERVICE, "orders", OUTCOME, "success"));
    for (int i = 0; i < 100; i++) {
      assertThat(series.get(Attributes.of(OUTCOME, "success", SERVICE, "orders"))).isSameAs(first);
    }
    assertThat(series.get(null)).isSameAs(series.get(Attributes.empty()));
    assertThat(registrations).hasValue(2);
    assertThat(series.size()).isEqualTo(2);
  }

  @Test
  void attributeValuesBecomeTagText() {
    Tags tags = MeterSeries.tags(Attributes.builder()
        .put(STATUS, 503L)
        .put(AttributeKey.booleanKey("retried"), true)
        .put(AttributeKey.doubleKey("ratio"), 0.5)
        .put(AttributeKey.stringArrayKey("zones"), List.of("a", "b"))
        .build());
    assertThat(tags.stream().map(t -> t.getKey() + "=" + t.getValue()))
        .containsExactly("http.response.status_code=503", "ratio=0.5", "retried=true", "zones=a,b");
  }

  @Test
  void prometheusShowsEverySeriesEvenWithDifferentAttributeKeys() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Meter m = new MicrometerMeterProvider(prometheus).get("io.mesh4j");
    DoubleHistogram duration = m.histogramBuilder("http.client.request.duration").setUnit("s")
        .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
    AttributeKey<String> server = AttributeKey.stringKey("server.address");
    duration.record(0.01, Attributes.of(METHOD, "GET", server, "orders", STATUS, 200L));
    // A failure without an answer: no status, an error.type instead (as the mesh records it).
    duration.record(0.02, Attributes.of(METHOD, "GET", server, "orders", ERROR_TYPE, "java.io.IOException"));
    m.counterBuilder("mesh.client.attempts").setUnit("{attempt}").build()
        .add(1, Attributes.of(SERVICE, "orders", OUTCOME, "success"));

    String scrape = prometheus.scrape();
    assertThat(scrape)
        .contains("http_client_request_duration_seconds_count{http_request_method=\"GET\","
            + "http_response_status_code=\"200\",server_address=\"orders\"} 1")
        .contains("http_client_request_duration_seconds_count{error_type=\"java.io.IOException\","
            + "http_request_method=\"GET\",server_address=\"orders\"} 1")
        .contains("http_client_request_duration_seconds_bucket{http_request_method=\"GET\","
            + "http_response_status_code=\"200\",server_address=\"orders\",le=\"0.01\"} 1")
        .contains("mesh_client_attempts_total{mesh_outcome=\"success\",mesh_service=\"orders\"} 1");
  }

  @Test
  void withRegistryFansOutToTheApplicationsSdk() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    OpenTelemetry sdk = OpenTelemetrySdk.builder()
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    OpenTelemetry both = MicrometerOpenTelemetry.withRegistry(sdk, registry);
    assertThat(both.getMeterProvider()).isInstanceOf(FanOutMeterProvider.class);
    assertThat(both.getPropagators()).isSameAs(sdk.getPropagators());
    assertThat(both.getTracerProvider()).isSameAs(sdk.getTracerProvider());

    Meter m = both.getMeter("io.mesh4j");
    m.counterBuilder("mesh.client.retries").build().add(2, Attributes.of(SERVICE, "orders"));
    m.histogramBuilder("http.server.request.duration").setUnit("s").build().record(0.5);

    assertThat(registry.get("mesh.client.retries").tag("mesh.service", "orders").counter().count()).isEqualTo(2.0);
    assertThat(registry.get("http.server.request.duration").timer().count()).isEqualTo(1);
    List<MetricData> exported = List.copyOf(reader.collectAllMetrics());
    assertThat(exported).extracting(MetricData::getName)
        .containsExactlyInAnyOrder("mesh.client.retries", "http.server.request.duration");
    MetricData retries = exported.stream().filter(d -> d.getName().equals("mesh.client.retries")).findFirst()
        .orElseThrow();
    assertThat(retries.getLongSumData().getPoints()).singleElement()
        .satisfies(p -> assertThat(p.getValue()).isEqualTo(2));
  }

  @Test
  void withRegistryOnTheNoopOpenTelemetryRecordsInTheRegistryOnly() {
    OpenTelemetry micrometerOnly = MicrometerOpenTelemetry.withRegistry(OpenTelemetry.noop(), registry);
    assertThat(micrometerOnly.getMeterProvider()).isInstanceOf(MicrometerMeterProvider.class);
    assertThat(micrometerOnly.getPropagators()).isSameAs(OpenTelemetry.noop().getPropagators());
  }
}
