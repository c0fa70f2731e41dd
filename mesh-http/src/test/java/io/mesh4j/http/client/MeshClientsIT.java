package io.mesh4j.http.client;

import io.mesh4j.http.MethodPolicy;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.request;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.client.OrdersClient.NewOrder;
import io.mesh4j.http.client.OrdersClient.Order;
import io.mesh4j.policy.HedgePolicy;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy against a real loopback server (WireMock) through a real mesh: static discovery maps the
 * service {@code orders} to WireMock's port. One server for the class, a fresh mesh per test (so that
 * breakers, budgets and ejections of one test do not leak into the next).
 */
class MeshClientsIT {
  private static WireMockServer wiremock;
  private static OkHttpClient base;
  /** Every request as the application interceptors see it: above the mesh, with its tags. */
  private static final Queue<Request> seen = new ConcurrentLinkedQueue<>();

  private Mesh mesh;
  private OrdersClient orders;

  @BeforeAll
  static void startServer() {
    wiremock = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    wiremock.start();
    base = new OkHttpClient.Builder()
        .addInterceptor(chain -> {
          seen.add(chain.request());
          return chain.proceed(chain.request());
        })
        .build();
  }

  @AfterAll
  static void stopServer() {
    wiremock.stop();
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }

  @BeforeEach
  void meshAndClient() {
    wiremock.resetAll();
    seen.clear();
    mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("orders", List.of(Endpoint.of("127.0.0.1", wiremock.port()))))
        .openTelemetry(OpenTelemetry.noop())
        .eventLog(line -> {})
        .build();
    orders = MeshClients.builder(MeshOkHttp.client(mesh, base)).build().create(OrdersClient.class);
  }

  @AfterEach
  void closeMesh() {
    mesh.close();
  }

  private static LoggedRequest onlyRequest() {
    List<LoggedRequest> all = wiremock.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(anyUrl()));
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  // --- verbs and bodies --------------------------------------------------------------------------

  @Test
  void getDecodesJsonIntoARecordIgnoringUnknownFields() throws Exception {
    wiremock.stubFor(get("/orders/7").willReturn(okJson("{\"id\":7,\"item\":\"book\",\"quantity\":2,\"new\":true}")));

    assertThat(orders.get(7)).isEqualTo(new Order(7, "book", 2));
    assertThat(onlyRequest().getMethod().getName()).isEqualTo("GET");
  }

  @Test
  void postEncodesTheRecordAsJsonAndDecodesTheAnswer() throws Exception {
    wiremock.stubFor(post("/orders").willReturn(okJson("{\"id\":8,\"item\":\"pen\",\"quantity\":3}")));

    assertThat(orders.create(new NewOrder("pen", 3))).isEqualTo(new Order(8, "pen", 3));
    wiremock.verify(postRequestedFor(urlEqualTo("/orders"))
        .withHeader("Content-Type", containing("application/json"))
        .withRequestBody(equalToJson("{\"item\":\"pen\",\"quantity\":3}")));
  }

  @Test
  void putReturnsStatusHeadersAndBodyInAMeshResponse() throws Exception {
    wiremock.stubFor(put("/orders/9").willReturn(aResponse().withStatus(201).withHeader("Location", "/orders/9")
        .withHeader("Content-Type", "application/json").withBody("{\"id\":9,\"item\":\"cup\",\"quantity\":1}")));

    MeshResponse<Order> r = orders.put(9, new Order(9, "cup", 1));

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.isSuccessful()).isTrue();
    assertThat(r.header("Location")).isEqualTo("/orders/9");
    assertThat(r.body()).isEqualTo(new Order(9, "cup", 1));
    assertThat(r.error()).isNull();
    wiremock.verify(putRequestedFor(urlEqualTo("/orders/9"))
        .withRequestBody(equalToJson("{\"id\":9,\"item\":\"cup\",\"quantity\":1}")));
  }

  @Test
  void patchSendsAMapBody() throws Exception {
    wiremock.stubFor(patch(urlEqualTo("/orders/9")).willReturn(okJson("{\"id\":9,\"item\":\"cup\",\"quantity\":4}")));

    assertThat(orders.patch(9, Map.of("quantity", 4)).quantity()).isEqualTo(4);
    wiremock.verify(patchRequestedFor(urlEqualTo("/orders/9")).withRequestBody(equalToJson("{\"quantity\":4}")));
  }

  @Test
  void deleteReturningVoid() throws Exception {
    wiremock.stubFor(delete("/orders/9").willReturn(aResponse().withStatus(204)));

    orders.delete(9);

    wiremock.verify(deleteRequestedFor(urlEqualTo("/orders/9")));
  }

  @Test
  void headReturnsStatusAndHeaders() throws Exception {
    wiremock.stubFor(request("HEAD", urlEqualTo("/orders/9")).willReturn(aResponse().withStatus(200)
        .withHeader("ETag", "\"v3\"")));

    MeshResponse<Void> r = orders.head(9);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("ETag")).isEqualTo("\"v3\"");
    assertThat(r.body()).isNull();
    assertThat(onlyRequest().getMethod().getName()).isEqualTo("HEAD");
  }

  @Test
  void completableFutureOfAGenericList() throws Exception {
    wiremock.stubFor(get("/orders").willReturn(okJson("[{\"id\":1,\"item\":\"a\",\"quantity\":1},"
        + "{\"id\":2,\"item\":\"b\",\"quantity\":2}]")));

    List<Order> list = orders.list().get(5, TimeUnit.SECONDS);

    assertThat(list).containsExactly(new Order(1, "a", 1), new Order(2, "b", 2));
  }

  @Test
  void completableFutureOfMeshResponseCarriesA404WithoutFailing() throws Exception {
    wiremock.stubFor(get("/orders/5").willReturn(aResponse().withStatus(404).withBody("no order 5")));

    MeshResponse<Order> r = orders.getAsync(5).get(5, TimeUnit.SECONDS);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.isSuccessful()).isFalse();
    assertThat(r.body()).isNull();
    assertThat(r.error().bodyExcerpt()).isEqualTo("no order 5");
    assertThatThrownBy(r::bodyOrThrow).isSameAs(r.error());
  }

  // --- path, query, headers ----------------------------------------------------------------------

  @Test
  void pathValuesArePercentEncodedAsOneSegment() throws Exception {
    wiremock.stubFor(any(anyUrl()).willReturn(aResponse().withBody("content")));

    assertThat(orders.file("a b/c?d#e%f", "..x é+;")).isEqualTo("content");

    assertThat(onlyRequest().getUrl()).isEqualTo("/files/a%20b%2Fc%3Fd%23e%25f/..x%20%C3%A9%2B%3B.txt");
  }

  @Test
  void pathValuesThatWouldChangeThePathAreRefusedBeforeSending() {
    for (String bad : new String[] {"..", ".", ""}) {
      assertThatThrownBy(() -> orders.file(bad, "n"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("@Path(\"dir\") value '" + bad + "'");
    }
    assertThatThrownBy(() -> orders.file(null, "n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("OrdersClient.file(String, String): @Path(\"dir\") is null");
    assertThat(wiremock.getAllServeEvents()).isEmpty();
  }

  @Test
  void queryParametersRepeatFromListsAndMapsAndSkipNulls() throws Exception {
    wiremock.stubFor(any(anyUrl()).willReturn(aResponse().withBody("found")));
    Map<String, Object> more = new LinkedHashMap<>();
    more.put("page", 2);
    more.put("sort", List.of("date", "id"));
    more.put("skipped", null);
    List<String> tags = new ArrayList<>();
    tags.add("x");
    tags.add(null);
    tags.add("y z");

    assertThat(orders.search("a&b=c+d é", tags, null, more)).isEqualTo("found");

    assertThat(onlyRequest().getUrl())
        .isEqualTo("/search?q=a%26b%3Dc%2Bd%20%C3%A9&tag=x&tag=y%20z&page=2&sort=date&sort=id");
  }

  @Test
  void headersFromValuesArraysAndMaps() throws Exception {
    wiremock.stubFor(get(urlPathEqualTo("/echo")).willReturn(aResponse().withBody(new byte[] {1, 2, 3})));

    byte[] body = orders.headers("acme", new String[] {"1", "2"}, Map.of("X-Extra", "e"));

    assertThat(body).containsExactly(1, 2, 3);
    LoggedRequest r = onlyRequest();
    assertThat(r.getHeader("X-Tenant")).isEqualTo("acme");
    assertThat(r.getHeaders().getHeader("X-Many").values()).containsExactly("1", "2");
    assertThat(r.getHeader("X-Extra")).isEqualTo("e");
  }

  // --- errors ------------------------------------------------------------------------------------

  @Test
  void a404IsAnHttpStatusExceptionWithStatusHeadersAndExcerpt() {
    wiremock.stubFor(get("/orders/404").willReturn(aResponse().withStatus(404).withHeader("X-Reason", "gone")
        .withBody("{\"error\":\"no such order\"}")));

    assertThatThrownBy(() -> orders.get(404))
        .isInstanceOfSatisfying(HttpStatusException.class, e -> {
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.isClientError()).isTrue();
          assertThat(e.headers().get("X-Reason")).isEqualTo("gone");
          assertThat(e.bodyExcerpt()).isEqualTo("{\"error\":\"no such order\"}");
          assertThat(e.isTruncated()).isFalse();
          assertThat(e.service()).isEqualTo("orders");
          assertThat(e.clientMethod()).isEqualTo("OrdersClient.get(long)");
          assertThat(e.getMessage()).isEqualTo("OrdersClient.get(long): service 'orders' answered 404 to GET /orders/404");
        });
  }

  @Test
  void theExcerptIsBoundedAndAMethodWithoutThrowsGetsItUnchecked() {
    String big = "é".repeat(5000); // 10,000 bytes of two-byte characters
    wiremock.stubFor(get("/orders/500").willReturn(aResponse().withStatus(500).withBody(big)));

    assertThatThrownBy(() -> orders.getUnchecked(500))
        .isInstanceOfSatisfying(MeshClientException.class, e -> {
          HttpStatusException s = e.statusException();
          assertThat(s.status()).isEqualTo(500);
          assertThat(s.isTruncated()).isTrue();
          assertThat(s.bodyExcerpt()).isEqualTo("é".repeat(2048));
          assertThat(s.bodyExcerpt().getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(4096);
          assertThat(e).hasMessageStartingWith("OrdersClient.getUnchecked(long): service 'orders' answered 500");
        });
  }

  @Test
  void aDefaultMethodRunsOnTheProxy() throws Exception {
    wiremock.stubFor(get("/orders/1").willReturn(aResponse().withStatus(404)));
    wiremock.stubFor(get("/orders/2").willReturn(okJson("{\"id\":2,\"item\":\"b\",\"quantity\":1}")));

    assertThat(orders.getOrNull(1)).isNull();
    assertThat(orders.getOrNull(2)).isEqualTo(new Order(2, "b", 1));
  }

  // --- policy ------------------------------------------------------------------------------------

  @Test
  void timeoutShorterThanTheAnswerFailsWithDeadlineExceeded() {
    wiremock.stubFor(get("/slow").willReturn(aResponse().withBody("late").withFixedDelay(1_000)));

    long start = System.nanoTime();
    // The error names the method's @Timeout(150ms), not "inherited from the caller": the timeout is
    // applied once, by the deadline layer (it used to ride in the context as well, and that copy won).
    assertThatThrownBy(() -> orders.slow()).isInstanceOf(DeadlineExceededException.class)
        .hasMessage("service 'orders': deadline of 150 ms (the method's @Timeout) passed before the response");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
  }

  @Test
  void timeoutAppliesToAsynchronousCallsToo() {
    wiremock.stubFor(get("/slow").willReturn(aResponse().withBody("late").withFixedDelay(1_000)));

    long start = System.nanoTime();
    assertThatThrownBy(() -> orders.slowAsync().get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(DeadlineExceededException.class)
        .hasMessage("service 'orders': deadline of 150 ms (the method's @Timeout) passed before the response");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
  }

  @Test
  void theMethodTimeoutTravelsDownstreamButNeverExtendsTheCallersDeadline() throws Exception {
    wiremock.stubFor(get("/policy").willReturn(aResponse().withBody("ok")));

    orders.retried(); // @Timeout("2s"), shorter than the policy's 15 s
    long sent = Long.parseLong(onlyRequest().getHeader(DeadlinePropagator.HEADER));
    assertThat(sent).isBetween(1_000L, 2_000L);

    wiremock.resetRequests();
    try (Scope s = Deadline.after(Duration.ofMillis(300)).makeCurrent()) {
      orders.retried(); // the caller's 300 ms win over the method's 2 s
    }
    sent = Long.parseLong(onlyRequest().getHeader(DeadlinePropagator.HEADER));
    assertThat(sent).isBetween(1L, 300L);
  }

  @Test
  void anIdempotentPostIsRetriedOn503() throws Exception {
    wiremock.stubFor(post("/charges").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(503)).willSetStateTo("recovered"));
    wiremock.stubFor(post("/charges").inScenario("flaky").whenScenarioStateIs("recovered")
        .willReturn(aResponse().withBody("charged")));

    assertThat(orders.charge("{\"cents\":100}")).isEqualTo("charged");

    wiremock.verify(2, postRequestedFor(urlEqualTo("/charges")).withRequestBody(equalTo("{\"cents\":100}")));
    Request tagged = seen.peek();
    assertThat(tagged.tag(io.mesh4j.http.Idempotency.class)).isEqualTo(io.mesh4j.http.Idempotency.YES);
    assertThat(tagged.tag(MethodPolicy.class).idempotent()).isTrue();
  }

  @Test
  void aPlainPostIsNotRetriedOn503() {
    wiremock.stubFor(post("/charges").willReturn(aResponse().withStatus(503)));

    assertThatThrownBy(() -> orders.chargeOnce("{}"))
        .isInstanceOfSatisfying(HttpStatusException.class, e -> assertThat(e.status()).isEqualTo(503));
    wiremock.verify(1, postRequestedFor(urlEqualTo("/charges")));
    assertThat(seen.peek().tag(io.mesh4j.http.Idempotency.class)).isNull();
  }

  @Test
  void retryAndHedgeOverridesRideOnTheRequestAsAMethodPolicyTag() throws Exception {
    wiremock.stubFor(get("/policy").willReturn(aResponse().withBody("ok")));

    orders.retried();
    orders.hedged();
    orders.plain();

    List<Request> requests = new ArrayList<>(seen);
    assertThat(requests).hasSize(3);
    MethodPolicy retried = requests.get(0).tag(MethodPolicy.class);
    assertThat(retried.overridesRetries()).isTrue();
    assertThat(retried.maxAttempts()).isEqualTo(5);
    assertThat(retried.retryOn()).containsExactly(500, 503);
    assertThat(retried.timeout()).contains(Duration.ofSeconds(2));
    assertThat(retried.hedgingOverride()).isEmpty();

    MethodPolicy hedged = requests.get(1).tag(MethodPolicy.class);
    assertThat(hedged.overridesRetries()).isFalse();
    assertThat(hedged.hedgingOverride()).contains(new HedgePolicy(true, Duration.ofMillis(20), 95, 3));

    assertThat(requests.get(2).tag(MethodPolicy.class)).isNull();
    assertThat(requests.get(2).tag(io.mesh4j.http.Idempotency.class)).isNull();
  }

  @Test
  void aMethodsRetryOverrideChangesWhatTheRetryLayerDoes() throws Exception {
    // 500 is not in the service's retryOn (502, 503, 504); the method's @Retry adds it and allows 5 attempts.
    wiremock.stubFor(get("/policy").willReturn(aResponse().withStatus(500)));
    assertThatThrownBy(orders::retried).isInstanceOf(HttpStatusException.class);
    assertThat(wiremock.findAll(getRequestedFor(urlEqualTo("/policy")))).hasSize(5);

    wiremock.resetRequests();
    assertThatThrownBy(orders::plain).isInstanceOf(HttpStatusException.class);
    assertThat(wiremock.findAll(getRequestedFor(urlEqualTo("/policy")))).as("service policy: 500 not retried")
        .hasSize(1);
  }

  // --- the proxy itself --------------------------------------------------------------------------

  @Test
  void oneProxyPerInterfaceWithObjectMethods() {
    MeshClients clients = MeshClients.builder(MeshOkHttp.client(mesh, base)).build();
    OrdersClient a = clients.create(OrdersClient.class);

    assertThat(clients.create(OrdersClient.class)).isSameAs(a);
    assertThat(a).isEqualTo(a).isNotEqualTo(orders);
    assertThat(a.hashCode()).isEqualTo(System.identityHashCode(a));
    assertThat(a.toString()).isEqualTo("OrdersClient@MeshClient(orders)");
  }
}
