package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.StaticPolicySource;
import io.mesh4j.telemetry.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spans and metrics checked with the OpenTelemetry SDK's in-memory exporters. */
class TracingIT {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private OpenTelemetrySdk otel;
  private TestBackend backend;
  private TestBackend failing;
  private Mesh mesh;
  private OkHttpClient client;

  @BeforeEach
  void start() throws Exception {
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    backend = TestBackend.ok("orders-1");
    failing = TestBackend.start("failing", ex -> TestBackend.respond(ex, 503, "no"));
    StaticDiscovery discovery = StaticDiscovery.create()
        .set("orders", List.of(backend.endpoint()))
        .set("broken", List.of(failing.endpoint()));
    mesh = Mesh.builder().discovery(discovery).openTelemetry(otel).build();
    client = MeshOkHttp.client(mesh, new OkHttpClient());
  }

  @AfterEach
  void stop() {
    mesh.close();
    backend.close();
    failing.close();
    otel.close();
  }

  @Test
  void oneClientSpanPerCallChildOfTheCallersSpanWithTheDecisionTrace() throws Exception {
    Span parent = otel.getTracer("test").spanBuilder("handle-request").startSpan();
    try (Scope ignored = parent.makeCurrent();
         Response r = client.newCall(new Request.Builder().url("http://orders/v1/orders/7").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    } finally {
      parent.end();
    }
    SpanData call = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CLIENT)
        .findFirst().orElseThrow();
    assertThat(call.getName()).isEqualTo("GET");
    assertThat(call.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(call.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
    assertThat(call.getAttributes().get(AttributeKey.stringKey("http.request.method"))).isEqualTo("GET");
    assertThat(call.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("orders");
    assertThat(call.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
    assertThat(call.getAttributes().get(AttributeKey.stringKey("url.full"))).isEqualTo("http://orders/v1/orders/7");
    assertThat(call.getAttributes().get(AttributeKey.longKey("network.peer.port"))).isEqualTo((long) backend.port());
    assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    EventData attempt = call.getEvents().stream().filter(e -> e.getName().equals("mesh.attempt")).findFirst()
        .orElseThrow();
    assertThat(attempt.getAttributes().get(MeshTelemetry.ENDPOINT)).isEqualTo(backend.endpoint().address());
    assertThat(attempt.getAttributes().get(MeshTelemetry.DECISION))
        .startsWith("p2c-peak-ewma chose " + backend.endpoint().address())
        .contains("1 of 1 endpoints available");

    // The backend saw the client span as its parent (W3C traceparent) and the deadline header.
    String traceparent = backend.lastRequest().get("traceparent");
    assertThat(traceparent).contains(call.getTraceId()).contains(call.getSpanId());
    assertThat(backend.lastRequest()).containsKey("mesh-timeout-ms");
    assertThat(backend.lastRequest().get("host")).isEqualTo("orders");

    MetricData duration = metric("http.client.request.duration");
    assertThat(duration.getHistogramData().getPoints()).singleElement().satisfies(p -> {
      assertThat(p.getCount()).isEqualTo(1);
      assertThat(p.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("orders");
      assertThat(p.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
    });
    MetricData attempts = metric("mesh.client.attempts");
    assertThat(attempts.getLongSumData().getPoints()).singleElement().satisfies(p -> {
      assertThat(p.getValue()).isEqualTo(1);
      assertThat(p.getAttributes().get(MeshTelemetry.OUTCOME)).isEqualTo("success");
    });
  }

  @Test
  void serverErrorsMarkTheSpanAsErrorAndConnectionFailuresShowEveryAttempt() throws Exception {
    try (Response r = client.newCall(new Request.Builder().url("http://broken/x").build()).execute()) {
      assertThat(r.code()).isEqualTo(503);
    }
    SpanData call = spans.getFinishedSpanItems().get(0);
    assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(call.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("503");

    // A dead endpoint next to a live one: the refused attempt and the good one are both on the span.
    int deadPort;
    try (TestBackend dead = TestBackend.ok("dead")) {
      deadPort = dead.port();
    }
    Mesh two = Mesh.builder().openTelemetry(otel).random(io.mesh4j.balance.RandomSource.seeded(1))
        .discovery(StaticDiscovery.of("pair", List.of(Endpoint.of("127.0.0.1", deadPort), backend.endpoint())))
        .build();
    OkHttpClient c2 = MeshOkHttp.client(two, new OkHttpClient());
    spans.reset();
    for (int i = 0; i < 6; i++) {
      try (Response r = c2.newCall(new Request.Builder().url("http://pair/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    two.close();
    assertThat(spans.getFinishedSpanItems()).anySatisfy(s -> {
      List<EventData> events = s.getEvents().stream().filter(e -> e.getName().equals("mesh.attempt")).toList();
      assertThat(events).hasSize(2);
      assertThat(events.get(0).getAttributes().get(MeshTelemetry.OUTCOME)).isEqualTo("failure");
      assertThat(events.get(0).getAttributes().get(MeshTelemetry.ENDPOINT)).endsWith(":" + deadPort);
      assertThat(events.get(1).getAttributes().get(MeshTelemetry.ATTEMPT)).isEqualTo(2L);
      assertThat(events.get(1).getAttributes().get(MeshTelemetry.OUTCOME)).isEqualTo("success");
    });
  }

  /** A backup counts in mesh.client.hedges and as a mesh.hedge event; a replaced failure in mesh.client.retries. */
  @Test
  void hedgesAndRetriesAreCountedPerService() throws Exception {
    CountDownLatch backupArrived = new CountDownLatch(1);
    AtomicInteger requests = new AtomicInteger();
    try (TestBackend held = TestBackend.start("held", ex -> {
      if (requests.incrementAndGet() == 1) {
        backupArrived.await(10, TimeUnit.SECONDS); // the first attempt answers once the backup has arrived
      } else {
        backupArrived.countDown();
      }
      TestBackend.respond(ex, 200, "ok");
    })) {
      StaticPolicySource policies = StaticPolicySource.create();
      policies.putJson("catalog", "{ \"hedging\": { \"enabled\": true, \"delay\": \"10ms\", \"maxAttempts\": 2 } }");
      try (Mesh hedging = Mesh.builder().openTelemetry(otel).policies(policies)
          .discovery(StaticDiscovery.of("catalog", List.of(held.endpoint()))).build()) {
        OkHttpClient c = MeshOkHttp.client(hedging, new OkHttpClient());
        try (Response r = c.newCall(new Request.Builder().url("http://catalog/items").build()).execute()) {
          assertThat(r.code()).isEqualTo(200);
        }
      }
    }
    assertThat(requests).hasValue(2);
    assertThat(metric("mesh.client.hedges").getLongSumData().getPoints()).singleElement().satisfies(p -> {
      assertThat(p.getValue()).isEqualTo(1);
      assertThat(p.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("catalog");
    });
    SpanData call = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CLIENT)
        .findFirst().orElseThrow();
    assertThat(call.getEvents()).filteredOn(e -> e.getName().equals("mesh.hedge"))
        .extracting(e -> e.getAttributes().get(MeshTelemetry.HEDGE)).containsExactly(2L);

    try (Response r = client.newCall(new Request.Builder().url("http://broken/x").build()).execute()) {
      assertThat(r.code()).isEqualTo(503);
    }
    assertThat(metric("mesh.client.retries").getLongSumData().getPoints()).allSatisfy(p -> {
      assertThat(p.getAttributes().get(MeshTelemetry.SERVICE)).isEqualTo("broken");
      assertThat(p.getAttributes().get(MeshTelemetry.RETRY_REASON)).isEqualTo("status 503");
    }).isNotEmpty();
  }

  private MetricData metric(String name) {
    return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow(
        () -> new AssertionError("no metric " + name));
  }
}
