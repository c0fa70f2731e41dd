package io.mesh4j.controlplane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.deadline.DeadlinePropagator;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.VersionedPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh-core control-plane client against the real control plane on loopback (real SQLite file),
 * with real mesh HTTP calls to a real backend.
 */
class ControlPlaneClientIT {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicReference<String> lastTimeoutHeader = new AtomicReference<>();
  private HttpServer backend;

  @BeforeEach
  void startBackend() throws IOException {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    backend.createContext("/", ex -> {
      lastTimeoutHeader.set(ex.getRequestHeaders().getFirst(DeadlinePropagator.HEADER));
      byte[] body = "orders-1".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    backend.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    backend.stop(0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private TestControlPlane controlPlane(int port) throws Exception {
    TestControlPlane cp = TestControlPlane.start(dir.resolve("cp"), b -> b.port(port));
    closeables.add(cp);
    return cp;
  }

  private ControlPlaneClient client(URI uri, Registration registration) {
    ControlPlaneClient c = ControlPlaneClient.builder(uri).token(TestControlPlane.CLIENT)
        .cacheFile(dir.resolve("client-cache.json")).waitTime(Duration.ofSeconds(2)).register(registration).build();
    closeables.add(c);
    return c;
  }

  private Mesh mesh(ControlPlaneClient c) {
    Mesh mesh = Mesh.builder().discovery(c.discovery()).policies(c.policies()).eventLog(m -> { }).build();
    closeables.add(mesh);
    return mesh;
  }

  private static String call(OkHttpClient http) throws IOException {
    try (Response r = http.newCall(new Request.Builder().url("http://orders/v1/orders/7").build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private Registration backendRegistration() {
    return Registration.of("orders", "127.0.0.1", backend.getAddress().getPort());
  }

  @Test
  void aPolicyPutReachesTheWatchingClientAndChangesItsBehaviourWithoutRestart() throws Exception {
    TestControlPlane cp = controlPlane(0);
    ControlPlaneClient registering = client(cp.server.uri(), backendRegistration()); // the backend registers itself
    Mesh mesh = mesh(registering);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());

    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http).equals("200 orders-1"));
    assertThat(Long.parseLong(lastTimeoutHeader.get())).as("the 15 s default total timeout").isGreaterThan(10_000);

    Http.Reply put = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"750ms\"}}");
    assertThat(put.status()).isEqualTo(200);
    ServiceRuntime rt = mesh.service("orders");
    await().atMost(Duration.ofSeconds(10)).until(() -> rt.policy().timeouts().total().equals(Duration.ofMillis(750)));
    assertThat(call(http)).isEqualTo("200 orders-1");
    assertThat(Long.parseLong(lastTimeoutHeader.get())).isBetween(1L, 750L);
    assertThat(registering.status().connected()).isTrue();
    assertThat(registering.status().revision()).isGreaterThanOrEqualTo(put.revision());
  }

  /**
   * A service subscribed while the watch loop has built its next long poll (since=R, 30 s) but not yet
   * published it as in flight gets its policy at once, not after the real control plane held that poll
   * for the whole wait. The loop thread is parked inside {@code sendAsync} (after the request is built, before
   * {@code inFlight} is set) while the test subscribes.
   */
  @Test
  void aServiceSubscribedWhileTheNextWatchIsBeingSentGetsItsPolicyWellBeforeTheWait() throws Exception {
    TestControlPlane cp = controlPlane(0);
    cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"800ms\"}}");
    cp.admin.put("/v1/services/payment/policy", "{\"timeouts\": {\"total\": \"700ms\"}}");
    GatedHttpClient http = new GatedHttpClient(HttpClient.newHttpClient());
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT).httpClient(http)
        .waitTime(Duration.ofSeconds(30)).build();
    closeables.add(c);
    List<VersionedPolicy> orders = new CopyOnWriteArrayList<>();
    c.policies().subscribe("orders", orders::add);
    await().atMost(Duration.ofSeconds(10)).until(() -> !orders.isEmpty());

    assertThat(http.inWindow.await(10, TimeUnit.SECONDS)).as("the loop reached the gate").isTrue();
    List<VersionedPolicy> payment = new CopyOnWriteArrayList<>();
    c.policies().subscribe("payment", payment::add);
    http.release.countDown();

    await().atMost(Duration.ofSeconds(5)).until(() -> !payment.isEmpty());
    assertThat(payment.get(0).policy().timeouts().total()).isEqualTo(Duration.ofMillis(700));
  }

  /**
   * A client that has called thousands of distinct dotless hosts (each one a watched service, most unknown
   * to the control plane) still gets every update. Before, past 256 watched services the control plane
   * refused the client's one watch (400), past a few thousand the URI was too long (414), and from then on
   * no service got any update: a policy pushed to {@code orders} never arrived and the status said
   * disconnected.
   */
  @Test
  void aClientThatCallsThousandsOfDistinctHostsStillGetsEveryUpdate() throws Exception {
    TestControlPlane cp = controlPlane(0);
    ControlPlaneClient registering = client(cp.server.uri(), backendRegistration());
    Mesh mesh = mesh(registering);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http).equals("200 orders-1"));

    for (int i = 0; i < 300; i++) { // through calls: each host becomes a service with no endpoints
      try (Response r = http.newCall(new Request.Builder().url("http://host-" + i + "/x").build()).execute()) {
        assertThat(r.code()).as("host-" + i).isNotEqualTo(200);
      } catch (IOException expected) {
        assertThat(expected).hasMessageContaining("host-" + i);
      }
    }
    for (int i = 300; i < 3000; i++) {
      mesh.service("host-" + i); // what a call does first, without the call
    }
    cp.admin.put("/v1/services/host-2999/policy", "{\"timeouts\": {\"total\": \"600ms\"}}");
    await().atMost(Duration.ofSeconds(20)).until(
        () -> mesh.service("host-2999").policy().timeouts().total().equals(Duration.ofMillis(600)));

    Http.Reply put = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"750ms\"}}");
    ServiceRuntime rt = mesh.service("orders");
    await().atMost(Duration.ofSeconds(10)).until(() -> rt.policy().timeouts().total().equals(Duration.ofMillis(750)));
    assertThat(registering.status().connected()).as("%s", registering.status()).isTrue();
    assertThat(registering.status().lastError()).isNull();
    assertThat(registering.status().revision()).isGreaterThanOrEqualTo(put.revision());
    assertThat(call(http)).isEqualTo("200 orders-1");
  }

  /**
   * A listener that throws does not cost the other listeners the update, nor the client its connection.
   * Before, the exception escaped the watch loop, which marked the control plane disconnected and polled
   * again; the update was already stored, so it was never handed to anyone again.
   */
  @Test
  void aListenerThatThrowsLosesNoUpdateForTheOthersAndIsNotAConnectionFailure() throws Exception {
    TestControlPlane cp = controlPlane(0);
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT)
        .waitTime(Duration.ofSeconds(2)).build();
    closeables.add(c);
    c.policies().subscribe("orders", vp -> {
      throw new IllegalStateException("listener bug");
    });
    List<VersionedPolicy> seen = new CopyOnWriteArrayList<>();
    c.policies().subscribe("orders", seen::add);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.status().connected());

    long revision = cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"900ms\"}}").revision();
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(vp -> vp.revision() == revision));
    assertThat(c.status().connected()).isTrue();
  }

  /** The JDK client, except that the first long poll (since other than 0) waits in sendAsync until released. */
  private static final class GatedHttpClient extends HttpClient {
    final CountDownLatch inWindow = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final HttpClient delegate;
    private volatile boolean gated;

    GatedHttpClient(HttpClient delegate) {
      this.delegate = delegate;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      // Only long-polls are sent asynchronously (catch-ups, since=0 and wait=0, use send()).
      if (!gated && request.uri().getPath().equals("/v1/watch")) {
        gated = true;
        inWindow.countDown();
        try {
          if (!release.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return delegate.sendAsync(request, handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> push) {
      return sendAsync(request, handler);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException, InterruptedException {
      return delegate.send(request, handler);
    }

    @Override
    public Optional<java.net.CookieHandler> cookieHandler() {
      return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
      return delegate.followRedirects();
    }

    @Override
    public Optional<java.net.ProxySelector> proxy() {
      return delegate.proxy();
    }

    @Override
    public javax.net.ssl.SSLContext sslContext() {
      return delegate.sslContext();
    }

    @Override
    public javax.net.ssl.SSLParameters sslParameters() {
      return delegate.sslParameters();
    }

    @Override
    public Optional<java.net.Authenticator> authenticator() {
      return delegate.authenticator();
    }

    @Override
    public Version version() {
      return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
      return delegate.executor();
    }
  }

  @Test
  void registrationAppearsWithHeartbeatsAndIsRemovedOnClose() throws Exception {
    TestControlPlane cp = controlPlane(0);
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT)
        .register(new Registration("orders", "127.0.0.1", backend.getAddress().getPort(), 1, "", java.util.Map.of(
            "version", "v2"), Duration.ofSeconds(3))).build();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> cp.admin.get("/v1/services/orders/instances").json().toString().contains("\"version\":\"v2\""));
    c.close();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> !cp.admin.get("/v1/services/orders/instances").json().toString().contains("127.0.0.1"));
  }

  @Test
  void aPolicyStoredWithANullBeforeNullWasRefusedIsStillApplied() throws Exception {
    // The API now refuses null; a control plane from before stored it as given, meaning "the default".
    // A client must read such a policy, not reject it whole (and lose its routes) after an upgrade.
    TestControlPlane cp = controlPlane(freePort());
    cp.server.store().putPolicy("orders", "{\"timeouts\":{\"total\":\"900ms\",\"perAttempt\":null},"
        + "\"balancer\":null}", io.mesh4j.controlplane.store.Store.ANY);
    ControlPlaneClient client = client(cp.server.uri(), backendRegistration());
    Mesh mesh = mesh(client);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http).equals("200 orders-1"));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> mesh.service("orders").policy().timeouts().total().equals(Duration.ofMillis(900)));
    assertThat(client.status().lastError()).isNull();
  }

  @Test
  void aClientStartingWhileTheControlPlaneIsDownServesFromTheCache() throws Exception {
    int port = freePort();
    TestControlPlane cp = controlPlane(port);
    cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"900ms\"}}");
    ControlPlaneClient first = client(cp.server.uri(), backendRegistration());
    Mesh firstMesh = mesh(first);
    OkHttpClient firstHttp = MeshOkHttp.client(firstMesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(firstHttp).equals("200 orders-1"));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> firstMesh.service("orders").policy().timeouts().total().equals(Duration.ofMillis(900)));
    first.close(); // writes nothing more; the cache file has the state
    cp.close();

    ControlPlaneClient second = ControlPlaneClient.builder(URI.create("http://127.0.0.1:" + port))
        .token(TestControlPlane.CLIENT).cacheFile(dir.resolve("client-cache.json")).build();
    closeables.add(second);
    Mesh mesh = mesh(second);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    assertThat(call(http)).isEqualTo("200 orders-1");
    assertThat(mesh.service("orders").policy().timeouts().total()).isEqualTo(Duration.ofMillis(900));
    assertThat(second.status().servingFromCache()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> second.status().lastError() != null);
    assertThat(second.status().connected()).isFalse();
  }

  @Test
  void aClientThatLosesTheControlPlaneKeepsServingAndCatchesUpWhenItReturns() throws Exception {
    List<LogRecord> log = captureLog();
    int port = freePort();
    TestControlPlane cp = controlPlane(port);
    ControlPlaneClient c = client(cp.server.uri(), backendRegistration());
    Mesh mesh = mesh(c);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http).equals("200 orders-1"));
    long before = c.status().revision();

    cp.close();
    closeables.remove(cp);
    await().atMost(Duration.ofSeconds(15)).until(() -> !c.status().connected());
    // A long poll in flight while the server stops may first be answered 503 by the stopping server;
    // once the port is closed, every retry fails to connect and says so.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(c.status().lastError())
        .as("names the control plane and the cause, never 'null'")
        .startsWith("ConnectException talking to http://127.0.0.1:" + port).doesNotContain("null"));
    assertThat(c.status().connected()).isFalse();
    assertThat(call(http)).as("still serving from what it has").isEqualTo("200 orders-1");
    assertThat(c.status().revision()).isEqualTo(before);

    TestControlPlane again = controlPlane(port); // same data directory, same port
    Http.Reply put = again.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"600ms\"}}");
    assertThat(put.revision()).isGreaterThan(before);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> mesh.service("orders").policy().timeouts().total().equals(Duration.ofMillis(600)));
    assertThat(c.status().connected()).isTrue();
    assertThat(c.status().revision()).isGreaterThanOrEqualTo(put.revision());
    assertThat(call(http)).isEqualTo("200 orders-1");

    // What an operator reads in the application's log: each change of state once, with its cause.
    String uri = "http://127.0.0.1:" + port;
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lines(log))
        .anyMatch(l -> l.startsWith("INFO connected to the control plane " + uri + " (revision "))
        .anyMatch(l -> l.startsWith("INFO registered orders instance 127.0.0.1:" + backend.getAddress().getPort()
            + " with the control plane " + uri + " as "))
        .anyMatch(l -> l.startsWith("WARNING lost the control plane " + uri + ": ")
            && l.endsWith("; serving the last known state (revision " + before + ") and retrying with backoff"))
        .anyMatch(l -> l.startsWith("INFO the control plane " + uri + " is back after "))
        .anyMatch(l -> l.equals("INFO service 'orders': policy at revision " + put.revision() + " applied"))
        .noneMatch(l -> l.contains("null") || l.contains(TestControlPlane.CLIENT)));
    assertThat(lines(log).stream().filter(l -> l.startsWith("WARNING lost the control plane"))).as("once, not per retry")
        .hasSize(1);
    assertThat(c.status().lastError()).as("cleared once back").isNull();
  }

  /**
   * Issue 14's measured defect: a backup at revision 5, the client at 7, a restore, then three writes take
   * the store to 8. Before, the client's since=7 watch got only the last change: the policy that reverted
   * (a) and the one that vanished (c) never reached it. The store's epoch changes at the restart, and the
   * client fetches everything again.
   */
  @Test
  void aClientFollowsAControlPlaneRestoredFromAnOlderBackup() throws Exception {
    List<LogRecord> log = captureLog();
    int port = freePort();
    TestControlPlane cp = controlPlane(port);
    String[] puts = {"a 1s", "b 2s", "b 2100ms", "b 2200ms", "b 2300ms"};
    for (String p : puts) {
      String[] sp = p.split(" ");
      cp.admin.put("/v1/services/" + sp[0] + "/policy", "{\"timeouts\": {\"total\": \"" + sp[1] + "\"}}");
    }
    assertThat(cp.admin.get("/v1/health").revision()).isEqualTo(5);
    cp.close();
    closeables.remove(cp);
    Path backup = dir.resolve("backup");
    copyTree(dir.resolve("cp"), backup);

    cp = controlPlane(port);
    cp.admin.put("/v1/services/a/policy", "{\"timeouts\": {\"total\": \"1500ms\"}}"); // 6
    cp.admin.put("/v1/services/c/policy", "{\"timeouts\": {\"total\": \"3s\"}}"); // 7
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT)
        .cacheFile(dir.resolve("client-cache.json")).waitTime(Duration.ofSeconds(2)).build();
    closeables.add(c);
    Mesh mesh = mesh(c);
    ServiceRuntime a = mesh.service("a");
    ServiceRuntime b = mesh.service("b");
    ServiceRuntime svcC = mesh.service("c");
    await().atMost(Duration.ofSeconds(15)).until(() -> c.status().revision() == 7
        && a.policy().timeouts().total().equals(Duration.ofMillis(1500))
        && svcC.policy().timeouts().total().equals(Duration.ofSeconds(3)));

    // Restore: stop, put the backup in place (WAL and all), start on the same port.
    cp.close();
    closeables.remove(cp);
    deleteTree(dir.resolve("cp"));
    copyTree(backup, dir.resolve("cp"));
    cp = controlPlane(port);
    for (String total : List.of("2400ms", "2500ms", "2600ms")) { // 6, 7, 8
      cp.admin.put("/v1/services/b/policy", "{\"timeouts\": {\"total\": \"" + total + "\"}}");
    }
    assertThat(cp.admin.get("/v1/health").revision()).isEqualTo(8);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(b.policy().timeouts().total()).isEqualTo(Duration.ofMillis(2600));
      assertThat(a.policy().timeouts().total()).as("reverted to the backup's").isEqualTo(Duration.ofSeconds(1));
      assertThat(svcC.policy()).as("gone from the restored store: defaults").isEqualTo(ServicePolicy.DEFAULT);
      assertThat(c.status().revision()).isEqualTo(8);
    });
    String uri = "http://127.0.0.1:" + port;
    assertThat(lines(log)).anyMatch(l -> l.startsWith("INFO the control plane " + uri
        + " answers from another store history (epoch ") && l.endsWith(
        "fetching the state of every watched service again (this client was at revision 7)"));
  }

  /**
   * A cache written before store epochs, at revision 42, meets a store at revision 1 (restored, or
   * another replica): the cached state is of an unknown history, so the client takes the store's. Before,
   * it ignored every answer (1 < 42) and asked again at once, for ever.
   */
  @Test
  void aCacheWithoutAnEpochGivesWayToTheStoresStateWhateverItsRevision() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("client-cache.json"), """
        {"revision": 42, "services": {"orders": {"policy": {"timeouts": {"total": "4200ms"}},
          "policyRevision": 42, "endpoints": [], "endpointsRevision": 0}}}""");
    TestControlPlane cp = controlPlane(freePort());
    cp.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"800ms\"}}"); // revision 1
    ControlPlaneClient c = ControlPlaneClient.builder(cp.server.uri()).token(TestControlPlane.CLIENT)
        .cacheFile(dir.resolve("client-cache.json")).waitTime(Duration.ofSeconds(2)).build();
    closeables.add(c);
    Mesh mesh = mesh(c);
    ServiceRuntime orders = mesh.service("orders");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(orders.policy().timeouts().total()).isEqualTo(Duration.ofMillis(800));
      assertThat(c.status().revision()).isEqualTo(1);
    });
    // The cache now names the store's epoch, so the next start compares like with like.
    await().atMost(Duration.ofSeconds(10)).until(() -> java.nio.file.Files.readString(dir.resolve("client-cache.json"))
        .contains("\"epoch\":\"" + cp.admin.get("/v1/health").json().get("epoch").asText() + "\""));
  }

  @Test
  void aClientFailsOverToTheNextReplicaAndRegistersThere() throws Exception {
    List<LogRecord> log = captureLog();
    TestControlPlane first = TestControlPlane.start(dir.resolve("cp-1"));
    closeables.add(first);
    TestControlPlane second = TestControlPlane.start(dir.resolve("cp-2"));
    closeables.add(second);
    first.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"700ms\"}}");
    second.admin.put("/v1/services/orders/policy", "{\"timeouts\": {\"total\": \"900ms\"}}");
    URI one = first.server.uri();
    URI two = second.server.uri();
    ControlPlaneClient c = ControlPlaneClient.builder(List.of(one, two)).token(TestControlPlane.CLIENT)
        .cacheFile(dir.resolve("client-cache.json")).waitTime(Duration.ofSeconds(2))
        .register(new Registration("orders", "127.0.0.1", backend.getAddress().getPort(), 1, "", java.util.Map.of(),
            Duration.ofSeconds(3))).build(); // a heartbeat every second
    closeables.add(c);
    Mesh mesh = mesh(c);
    OkHttpClient http = MeshOkHttp.client(mesh, new OkHttpClient());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> call(http).equals("200 orders-1"));
    assertThat(mesh.service("orders").policy().timeouts().total()).isEqualTo(Duration.ofMillis(700));
    assertThat(c.status().controlPlane().toString()).isEqualTo(strip(one));

    first.close();
    closeables.remove(first);
    // The second replica's state (another store, so another epoch: everything fetched again), and the
    // instance registered there at its next heartbeat.
    await().atMost(Duration.ofSeconds(30)).until(() -> c.status().connected()
        && mesh.service("orders").policy().timeouts().total().equals(Duration.ofMillis(900)));
    assertThat(c.status().controlPlane().toString()).isEqualTo(strip(two));
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(second.admin.get("/v1/services/orders/instances").json().toString())
            .contains("\"port\":" + backend.getAddress().getPort()));
    assertThat(call(http)).isEqualTo("200 orders-1");
    assertThat(lines(log))
        .anyMatch(l -> l.equals("INFO failing over from the control plane " + strip(one) + " to " + strip(two)
            + " (replica 2 of 2)"))
        .anyMatch(l -> l.startsWith("INFO reached the control plane " + strip(two) + " after ")
            && l.contains("without one (lost " + strip(one) + "; revision "))
        .anyMatch(l -> l.startsWith("INFO registered orders instance 127.0.0.1:" + backend.getAddress().getPort()
            + " with the control plane " + strip(two) + " as "));
  }

  @Test
  void aListOfReplicasIsCheckedWhenBuilt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlPlaneClient.builder(List.of()))
        .hasMessage("replicas: none (expected: one or more control-plane base URLs)");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlPlaneClient.builder(
            List.of(URI.create("http://cp:1"), URI.create("http://cp:1/"))))
        .hasMessage("replicas: http://cp:1 given twice (expected: each replica once)");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlPlaneClient.builder(List.of(URI.create("cp:1"))))
        .hasMessageStartingWith("replicas: cp:1 (expected: an http or https base URL");
  }

  private static String strip(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = java.nio.file.Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (java.nio.file.Files.isDirectory(p)) {
          java.nio.file.Files.createDirectories(target);
        } else {
          java.nio.file.Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = java.nio.file.Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  /** Records of the control-plane client's logger for this test (removed after it). */
  private List<LogRecord> captureLog() {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Logger logger = Logger.getLogger(ControlPlaneClient.class.getName());
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    logger.addHandler(handler);
    closeables.add(() -> logger.removeHandler(handler));
    return records;
  }

  private static List<String> lines(List<LogRecord> records) {
    return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
  }
}
