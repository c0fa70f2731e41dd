package io.mesh4j.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.controlplane.client.ControlPlaneStatus;
import io.mesh4j.controlplane.client.Registration;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.Idempotency;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.client.Body;
import io.mesh4j.http.client.DELETE;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.Header;
import io.mesh4j.http.client.Idempotent;
import io.mesh4j.http.client.JacksonCodec;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshClients;
import io.mesh4j.http.client.MeshResponse;
import io.mesh4j.http.client.POST;
import io.mesh4j.http.client.Path;
import io.mesh4j.http.client.Query;
import io.mesh4j.http.client.Timeout;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java examples of the documentation, compiled and run. Each region between
 * {@code // snippet:NAME} and {@code // end-snippet} is shown in a Markdown file under a
 * {@code <!-- snippet: ...#NAME -->} marker, and {@link DocsSnippetsTest} fails when the two differ. To
 * change an example: change it here, run the tests, copy the region into the doc.
 */
class DocsExamplesTest {
  private static HttpServer orders;
  private static int ordersPort;

  @BeforeAll
  static void startOrders() throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    orders = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    orders.createContext("/", DocsExamplesTest::answer);
    orders.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    orders.start();
    ordersPort = orders.getAddress().getPort();
  }

  @AfterAll
  static void stopOrders() {
    orders.stop(0);
  }

  private static void answer(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String body;
    int status = 200;
    if (path.equals("/slow")) {
      sleep(2_000);
      body = "late";
    } else if (path.startsWith("/orders/") && ex.getRequestMethod().equals("DELETE")) {
      status = 204;
      body = null;
    } else if (path.matches("(/v1)?/orders/\\d+")) {
      body = "{\"id\": " + path.substring(path.lastIndexOf('/') + 1) + ", \"item\": \"book\", \"quantity\": 1}";
    } else if (path.equals("/orders") && ex.getRequestMethod().equals("POST")) {
      status = 201;
      body = "{\"id\": 8, \"item\": \"pen\", \"quantity\": 2}";
    } else if (path.equals("/orders")) {
      body = "[{\"id\": 7, \"item\": \"book\", \"quantity\": 1}]";
    } else if (path.equals("/v1/charges")) {
      body = "{\"charged\": true, \"key\": \"" + ex.getRequestHeaders().getFirst("Idempotency-Key") + "\"}";
    } else {
      status = 404;
      body = "{}";
    }
    ex.getResponseHeaders().set("Content-Type", "application/json");
    if (body == null) {
      ex.sendResponseHeaders(status, -1);
    } else {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A mesh whose {@code orders} and {@code payments} are the loopback server above. */
  private static Mesh loopbackMesh() {
    Endpoint local = Endpoint.of("127.0.0.1", ordersPort);
    return Mesh.builder()
        .discovery(StaticDiscovery.create().set("orders", List.of(local)).set("payments", List.of(local)))
        .openTelemetry(OpenTelemetry.noop())
        .build();
  }

  @Test
  void readmeQuickstart() throws IOException {
    // snippet:readme-quickstart
    Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.of("orders", List.of(Endpoint.parse("10.0.0.1:8080"), Endpoint.parse("10.0.0.2:8080"))))
        .build();
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());   // keeps your pool and settings
    Request request = new Request.Builder().url("http://orders/v1/orders/7").build();
    // end-snippet
    try (mesh; Mesh local = loopbackMesh()) {
      assertThat(mesh.handles("orders")).isTrue();
      assertThat(mesh.handles("example.com")).isFalse();
      OkHttpClient c = MeshOkHttp.client(local, new OkHttpClient());
      try (Response r = c.newCall(request).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).contains("\"id\": 7");
      }
    }
  }

  @Test
  void policiesAsJson() {
    // snippet:static-policies
    StaticDiscovery discovery = StaticDiscovery.of("orders", List.of(Endpoint.parse("10.0.0.1:8080")));
    StaticPolicySource policies = StaticPolicySource.create();
    policies.putJson("orders", """
        { "timeouts": { "total": "2s" },
          "routes": [ { "name": "canary", "destinations": [ { "labels": { "version": "v1" }, "weight": 90 },
                                                            { "labels": { "version": "v2" }, "weight": 10 } ] } ] }""");
    Mesh mesh = Mesh.builder().discovery(discovery).policies(policies).build();
    // end-snippet
    try (mesh) {
      ServicePolicy p = mesh.service("orders").policy();
      assertThat(p.timeouts().total()).isEqualTo(Duration.ofSeconds(2));
      assertThat(p.routes()).hasSize(1);
      assertThat(p.routes().get(0).destinations()).hasSize(2);
    }
  }

  @Test
  void okHttpSetUp() {
    OpenTelemetry openTelemetry = OpenTelemetry.noop();
    OkHttpClient existingClient = new OkHttpClient();
    // snippet:okhttp-setup
    Mesh mesh = Mesh.builder()
        .discovery(StaticDiscovery.create()
            .set("orders", List.of(Endpoint.parse("10.0.0.1:8080"), Endpoint.parse("10.0.0.2:8080")))
            .set("payments", List.of(Endpoint.parse("10.0.1.1:9090").withWeight(3), Endpoint.parse("10.0.1.2:9090"))))
        .defaultPolicy(ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2)).build())
        .openTelemetry(openTelemetry)          // optional; default GlobalOpenTelemetry
        .build();

    OkHttpClient client = MeshOkHttp.client(mesh, existingClient);  // shares its pool and dispatcher
    // end-snippet
    try (mesh) {
      assertThat(client.connectionPool()).isSameAs(existingClient.connectionPool());
      assertThat(mesh.service("payments").endpoints()).hasSize(2);
      assertThat(mesh.service("orders").policy().timeouts().total()).isEqualTo(Duration.ofSeconds(2));
    }
  }

  @Test
  void deadlineBoundsTheCall() throws IOException {
    try (Mesh mesh = loopbackMesh()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      Request request = new Request.Builder().url("http://orders/slow").build();
      long start = System.nanoTime();
      assertThatThrownBy(() -> {
        // snippet:okhttp-deadline
        try (Scope s = Deadline.after(Duration.ofMillis(300)).makeCurrent()) {
          client.newCall(request).execute();
        }
        // end-snippet
      }).isInstanceOf(DeadlineExceededException.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_500);
    }
  }

  @Test
  void idempotencyKeyMakesAPostRetryable() throws IOException {
    String orderId = "order-7";
    RequestBody body = RequestBody.create("{\"amount\": 12}", MediaType.get("application/json"));
    // snippet:okhttp-idempotency
    Request keyed = new Request.Builder().url("http://payments/v1/charges").post(body)
        .header("Idempotency-Key", orderId)          // the server deduplicates on the key
        .build();
    Request tagged = new Request.Builder().url("http://payments/v1/charges").post(body)
        .tag(Idempotency.class, Idempotency.YES)     // io.mesh4j.http.Idempotency: no header sent
        .build();
    // end-snippet
    assertThat(tagged.tag(Idempotency.class)).isEqualTo(Idempotency.YES);
    try (Mesh mesh = loopbackMesh()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      try (Response r = client.newCall(keyed).execute()) {
        assertThat(r.body().string()).contains("order-7");
      }
      try (Response r = client.newCall(tagged).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
  }

  @Test
  void inheritedDeadline() throws IOException {
    Map<String, String> requestHeaders = Map.of("mesh-timeout-ms", "250");
    TextMapGetter<Map<String, String>> getter = new TextMapGetter<>() {
      @Override
      public Iterable<String> keys(Map<String, String> carrier) {
        return carrier.keySet();
      }

      @Override
      public String get(Map<String, String> carrier, String key) {
        return carrier == null ? null : carrier.get(key);
      }
    };
    try (Mesh mesh = loopbackMesh()) {
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      Request request = new Request.Builder().url("http://orders/slow").build();
      long start = System.nanoTime();
      assertThatThrownBy(() -> {
        // snippet:deadline-extract
        Context inbound = mesh.telemetry().propagator().extract(Context.root(), requestHeaders, getter);
        try (Scope s = inbound.makeCurrent()) {
          client.newCall(request).execute();   // bounded by the caller's remaining time
        }
        // end-snippet
      }).isInstanceOf(DeadlineExceededException.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_500);
    }
  }

  // snippet:orders-client
  @MeshClient("orders")                      // the service: requests go to http://orders/...
  interface OrdersClient {
    @GET("/orders/{id}")
    Order get(@Path("id") long id) throws IOException;

    @GET("/orders")
    CompletableFuture<List<Order>> search(@Query("status") List<String> statuses, @Query Map<String, ?> filters);

    @POST("/orders") @Idempotent @Timeout("2s")
    MeshResponse<Order> create(@Body NewOrder order, @Header("Idempotency-Key") String key);

    @DELETE("/orders/{id}")
    void cancel(@Path("id") long id);        // no `throws`: failures arrive as MeshClientException
  }
  // end-snippet

  record Order(long id, String item, int quantity) {}

  record NewOrder(String item, int quantity) {}

  @Test
  void annotatedClient() throws Exception {
    ObjectMapper objectMapper = new ObjectMapper();
    try (Mesh mesh = loopbackMesh()) {
      // snippet:orders-client-create
      OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
      MeshClients clients = MeshClients.builder(http).codec(JacksonCodec.of(objectMapper)).build();
      OrdersClient orders = clients.create(OrdersClient.class);   // once; thread-safe; keep it
      Order o = orders.get(7);
      // end-snippet
      assertThat(o).isEqualTo(new Order(7, "book", 1));
      assertThat(orders.search(List.of("open"), Map.of("limit", 10)).get(5, TimeUnit.SECONDS)).containsExactly(o);
      MeshResponse<Order> created = orders.create(new NewOrder("pen", 2), "key-1");
      assertThat(created.status()).isEqualTo(201);
      assertThat(created.body()).isEqualTo(new Order(8, "pen", 2));
      orders.cancel(7);
    }
  }

  @Test
  void controlPlaneClient() throws Exception {
    // No control plane runs at that address: the client starts, finds no cache file, keeps retrying in
    // the background, and the mesh still passes other hosts through.
    // snippet:control-plane-client
    ControlPlaneClient cp = ControlPlaneClient.builder(URI.create("http://mesh-control-plane:8500"))
        .token(System.getenv("MESH_CP_CLIENT_TOKEN"))
        .cacheFile(Paths.get("/var/cache/orders/mesh-control-plane.json"))   // last known good state
        .register(Registration.of("orders", "10.0.0.7", 8080))   // this service's own instance
        .build();
    Mesh mesh = Mesh.builder().discovery(cp.discovery()).policies(cp.policies()).build();
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    // ...
    ControlPlaneStatus status = cp.status();   // connected, revision, servingFromCache, lastContact, lastError,
                                               // controlPlane (the replica in use)
    // end-snippet
    try (cp; mesh) {
      assertThat(status.connected()).isFalse();
      assertThat(mesh.handles("payments")).isTrue();
      assertThat(mesh.handles("example.com")).isFalse();
      assertThat(http.interceptors()).isNotEmpty();
    }
  }
}
