package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleResponse;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetAddress;
import java.time.Duration;
import org.awaitility.Awaitility;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP -> gRPC -> HTTP across three loopback services, each hop through the mesh:
 * A (JDK HTTP server, extracts the inbound deadline and trace like the starter's filter) calls B over
 * gRPC through {@link MeshClientInterceptor}; B (gRPC server with {@link MeshServerInterceptor}) calls C
 * over HTTP through {@code MeshOkHttp}; C records what it receives.
 */
class GrpcDeadlineChainIT {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger cHits = new AtomicInteger();
  private final Map<String, String> cHeaders = new ConcurrentHashMap<>();
  private final AtomicReference<Long> bInheritedMillis = new AtomicReference<>();
  private final AtomicReference<Deadline> bInherited = new AtomicReference<>();
  private final CompletableFuture<Throwable> bOutcome = new CompletableFuture<>();
  private volatile CountDownLatch holdB = new CountDownLatch(0);
  private final CountDownLatch bEntered = new CountDownLatch(1);
  private OpenTelemetrySdk otel;
  private HttpServer a;
  private HttpServer c;
  private Server b;
  private IcptFixtures.CountingService bService;
  private Mesh meshA;
  private Mesh meshB;
  private ManagedChannel channelAtoB;
  private OkHttpClient plain;

  @BeforeEach
  void start() throws Exception {
    otel = IcptFixtures.otel(spans, metrics);
    // C: records the deadline header and trace context it receives.
    c = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    c.setExecutor(executor);
    c.createContext("/", ex -> {
      cHits.incrementAndGet();
      ex.getRequestHeaders().forEach((k, v) -> cHeaders.put(k.toLowerCase(), v.get(0)));
      IcptFixtures.respond(ex, 200, "c");
      ex.close();
    });
    c.start();

    // B: gRPC; its handler calls C through the mesh's OkHttp client, in the context the interceptor made current.
    meshB = Mesh.builder().openTelemetry(otel)
        .discovery(StaticDiscovery.of("c", List.of(Endpoint.of("127.0.0.1", c.getAddress().getPort())))).build();
    OkHttpClient clientB = MeshOkHttp.client(meshB, new OkHttpClient());
    bService = new IcptFixtures.CountingService((req, resp) -> {
      Deadline inherited = Deadline.current();
      bInheritedMillis.set(inherited == null ? -1 : inherited.remaining().toMillis());
      bInherited.set(inherited);
      bEntered.countDown();
      holdB.await(10, TimeUnit.SECONDS);
      try (Response r = clientB.newCall(new Request.Builder().url("http://c/work").build()).execute()) {
        bOutcome.complete(null);
        resp.onNext(SimpleResponse.newBuilder().setUsername("b+" + r.body().string()).build());
        resp.onCompleted();
      } catch (Exception e) {
        bOutcome.complete(e);
        resp.onError(Status.DEADLINE_EXCEEDED.withDescription(e.getMessage()).asRuntimeException());
      }
    });
    b = IcptFixtures.server(bService, new MeshServerInterceptor(meshB));

    // A: HTTP; extracts the caller's deadline and trace with the mesh propagator and calls B over gRPC.
    meshA = Mesh.builder().openTelemetry(otel).build();
    channelAtoB = IcptFixtures.channel(b, new MeshClientInterceptor(meshA, "b"));
    TestServiceGrpc.TestServiceBlockingStub stub = TestServiceGrpc.newBlockingStub(channelAtoB);
    a = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    a.setExecutor(executor);
    a.createContext("/", ex -> {
      Context inbound = meshA.telemetry().propagator().extract(Context.root(), ex.getRequestHeaders(),
          IcptFixtures.HTTP_HEADERS);
      int status;
      String body;
      try (Scope ignored = inbound.makeCurrent()) {
        body = stub.unaryCall(IcptFixtures.request()).getUsername();
        status = 200;
      } catch (StatusRuntimeException e) {
        status = 504;
        body = e.getStatus().getCode() + ": " + e.getStatus().getDescription();
      }
      IcptFixtures.respond(ex, status, body);
      ex.close();
    });
    a.start();
    plain = new OkHttpClient.Builder().readTimeout(20, TimeUnit.SECONDS).build();
  }

  @AfterEach
  void stop() throws Exception {
    holdB.countDown();
    IcptFixtures.shutdown(channelAtoB);
    IcptFixtures.shutdown(b);
    a.stop(0);
    c.stop(0);
    meshA.close();
    meshB.close();
    executor.shutdownNow();
    otel.close();
  }

  private Response callA(long budgetMillis, Context trace) throws Exception {
    Request.Builder rb = new Request.Builder().url("http://127.0.0.1:" + a.getAddress().getPort() + "/work")
        .header(DeadlinePropagator.HEADER, Long.toString(budgetMillis));
    W3CTraceContextPropagator.getInstance().inject(trace, rb, (builder, k, v) -> builder.header(k, v));
    return plain.newCall(rb.build()).execute();
  }

  @Test
  void deadlineAndTraceFlowFromHttpThroughGrpcToHttp() throws Exception {
    Span root = otel.getTracer("test").spanBuilder("caller").startSpan();
    long budget = 5_000;
    long started = System.nanoTime();
    try (Response r = callA(budget, Context.root().with(root))) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("b+c");
    } finally {
      root.end();
    }
    long elapsed = (System.nanoTime() - started) / 1_000_000;

    // B inherited A's remaining time through grpc-timeout; C got what was left of it in mesh-timeout-ms.
    assertThat(bInheritedMillis.get()).isBetween(1L, budget);
    long atC = Long.parseLong(cHeaders.get(DeadlinePropagator.HEADER));
    assertThat(atC).isPositive().isLessThanOrEqualTo(bInheritedMillis.get()).isLessThanOrEqualTo(budget);
    assertThat(atC).as("C's budget is A's minus what the chain used").isGreaterThanOrEqualTo(budget - elapsed - 1_000);

    // One trace: the caller's root, A's gRPC client span, B's server span, B's HTTP client span, and C's header.
    String traceId = root.getSpanContext().getTraceId();
    assertThat(cHeaders.get("traceparent")).contains(traceId);
    List<SpanData> finished = spans.getFinishedSpanItems();
    SpanData aClient = finished.stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT && s.getName().equals("grpc.testing.TestService/UnaryCall"))
        .findFirst().orElseThrow();
    SpanData bServer = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    SpanData bClient = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT && s.getName().equals("GET"))
        .findFirst().orElseThrow();
    assertThat(List.of(aClient.getTraceId(), bServer.getTraceId(), bClient.getTraceId())).containsOnly(traceId);
    assertThat(aClient.getParentSpanId()).isEqualTo(root.getSpanContext().getSpanId());
    assertThat(bServer.getParentSpanId()).isEqualTo(aClient.getSpanId());
    assertThat(bClient.getParentSpanId()).isEqualTo(bServer.getSpanId());
    assertThat(cHeaders.get("traceparent")).contains(bClient.getSpanId());
  }

  @Test
  void anExpiredBudgetFailsAtAWithoutReachingBOrC() throws Exception {
    try (Response r = callA(0, Context.root())) {
      assertThat(r.code()).isEqualTo(504);
      assertThat(r.body().string()).startsWith("DEADLINE_EXCEEDED")
          .contains("service 'b'").contains("nothing was sent");
    }
    assertThat(bService.calls).hasValue(0);
    assertThat(cHits).hasValue(0);
  }

  @Test
  void aShortBudgetFailsFastAndBsLateCallNeverReachesC() throws Exception {
    // Connect first, so that connection setup does not eat the small budget before anything is sent.
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> channelAtoB.getState(true) == ConnectivityState.READY);
    holdB = new CountDownLatch(1); // B is "slow": it holds the call until the test lets it go
    long started = System.nanoTime();
    try (Response r = callA(1_000, Context.root())) {
      assertThat(r.code()).isEqualTo(504);
      assertThat(r.body().string()).startsWith("DEADLINE_EXCEEDED");
    }
    assertThat((System.nanoTime() - started) / 1_000_000).as("A gave up at its budget").isLessThan(5_000);
    assertThat(bEntered.await(5, TimeUnit.SECONDS)).as("the call reached B's handler").isTrue();
    // B's deadline started when B received the call, a little after A sent it: A may give up a few
    // milliseconds before B's own deadline passes. Let B go on only once it has.
    assertThat(bInherited.get()).as("B inherited A's deadline").isNotNull();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> bInherited.get().isExpired());
    holdB.countDown();
    // B's own call to C found the inherited deadline already passed and sent nothing.
    Throwable bFailure = bOutcome.get(5, TimeUnit.SECONDS);
    assertThat(bFailure).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("service 'c'");
    assertThat(((DeadlineExceededException) bFailure).wasSent()).isFalse();
    assertThat(bService.calls).hasValue(1);
    assertThat(cHits).hasValue(0);
  }
}
