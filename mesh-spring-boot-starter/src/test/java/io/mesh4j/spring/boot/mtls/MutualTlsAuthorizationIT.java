package io.mesh4j.spring.boot.mtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.identity.IssuedCertificate;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.controlplane.server.ControlPlaneServer;
import io.mesh4j.controlplane.server.ServerConfig;
import io.mesh4j.identity.WorkloadIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot service serving mutual TLS with its workload identity (the "mesh" SSL bundle) and
 * enforcing the authorization rules of its policy, pushed by a real control plane (issue 13). Real TLS
 * handshakes on loopback; callers are other services with their own identities from the same CA.
 */
class MutualTlsAuthorizationIT {
  static final String OPS = "ops-secret-0123456789";
  static final String PAYMENT = "payment-secret-0123456789";
  static final String ORDERS = "orders-secret-0123456789";
  static final String BILLING = "billing-secret-0123456789";
  static final String RULES = """
      {"authorization": {"rules": [
        {"name": "orders-may-pay", "action": "allow", "from": ["orders"], "methods": ["POST"], "paths": ["/pay"]},
        {"name": "status", "action": "allow", "methods": ["GET"], "paths": ["/status"]}
      ]}}""";

  @TempDir Path dir;
  private ControlPlaneServer cp;
  private ConfigurableApplicationContext app;
  private int port;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path tokens = dir.resolve("tokens.json");
    Files.writeString(tokens, """
        {"tokens": [
          {"name": "ops", "role": "admin", "token": "%s"},
          {"name": "payment", "role": "client", "services": ["payment"], "token": "%s"},
          {"name": "orders", "role": "client", "services": ["orders"], "token": "%s"},
          {"name": "billing", "role": "client", "services": ["billing"], "token": "%s"}
        ]}""".formatted(OPS, PAYMENT, ORDERS, BILLING));
    cp = ControlPlaneServer.start(ServerConfig.builder(dir.resolve("cp")).host("127.0.0.1").port(0)
        .auth(TokenAuthenticator.builder().tokensFile(tokens).build()).build());
    HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            cp.uri().resolve("/v1/services/payment/policy")).header("Authorization", "Bearer " + OPS)
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(RULES)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    PaymentApplication.PAYMENTS.set(0);
    PaymentApplication.ADMIN.set(0);
    app = new SpringApplicationBuilder(PaymentApplication.class).properties(
        "server.port=0", "server.address=127.0.0.1",
        "server.ssl.bundle=mesh", "server.ssl.client-auth=want",
        "mesh.service-name=payment", "mesh.registration.enabled=false",
        "mesh.control-plane.url=" + cp.uri(), "mesh.control-plane.token=" + PAYMENT,
        "mesh.identity.enabled=true").run();
    port = ((WebServerApplicationContext) app).getWebServer().getPort();
    Mesh mesh = app.getBean(Mesh.class);
    await().atMost(Duration.ofSeconds(30)).until(() -> mesh.service("payment").policyRevision() > 0);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (app != null) {
      app.close();
    }
    cp.close();
  }

  private WorkloadIdentity identity(String service, String token) throws IOException {
    ControlPlaneClient client = ControlPlaneClient.builder(cp.uri()).token(token).build();
    closeables.add(client);
    WorkloadIdentity id = WorkloadIdentity.builder(service, client.certificateIssuer()).build();
    closeables.add(id);
    id.renew();
    return id;
  }

  /**
   * The mesh's OkHttp client for {@code caller}, "payment" resolved to the app: it presents the caller's
   * certificate and accepts only a server that is payment (by its workload, not its host name).
   */
  private OkHttpClient client(WorkloadIdentity caller) {
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("payment", List.of(Endpoint.of("127.0.0.1", port))))
        .build();
    closeables.add(mesh);
    // snippet:okhttp-mtls
    OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient(), caller); // then call https://payment/...
    // end-snippet
    return client;
  }

  /** A POST through the mesh client. */
  private Response post(OkHttpClient client, String path) throws IOException {
    return client.newCall(new Request.Builder().url("https://payment" + path)
        .post(RequestBody.create("{}", MediaType.get("application/json"))).build()).execute();
  }

  /** A POST to the app's address, for the hand-made clients. */
  private Response postDirect(OkHttpClient client, String path) throws IOException {
    return client.newCall(new Request.Builder().url("https://127.0.0.1:" + port + path)
        .post(RequestBody.create("{}", MediaType.get("application/json"))).build()).execute();
  }

  @Test
  void onlyTheAllowedServiceReachesTheHandler() throws Exception {
    assertThat(app.getBean("meshIdentityHealthIndicator", io.mesh4j.spring.boot.WorkloadIdentityHealthIndicator.class)
        .health().getDetails()).containsEntry("state", "valid")
        .containsEntry("spiffeId", "spiffe://mesh.local/service/payment");
    try (Response r = post(client(identity("orders", ORDERS)), "/pay")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("paid for orders");
    }
    try (Response r = post(client(identity("billing", BILLING)), "/pay")) {
      assertThat(r.code()).isEqualTo(403);
      assertThat(r.header("Content-Type")).startsWith("application/problem+json");
      assertThat(r.body().string()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,"
          + "\"detail\":\"caller 'billing' may not call payment POST /pay: no allow rule matches\","
          + "\"service\":\"payment\",\"rule\":null}");
    }
    // A TLS client without a certificate: served (client-auth=want), but as a caller without an identity.
    WorkloadIdentity anyone = identity("orders", ORDERS);
    SSLContext noCertificate = SSLContext.getInstance("TLS");
    noCertificate.init(null, new TrustManager[] {anyone.trustManagerFor("payment")}, null);
    OkHttpClient anonymous = new OkHttpClient.Builder()
        .sslSocketFactory(noCertificate.getSocketFactory(), (X509TrustManager) anyone.trustManagerFor("payment"))
        .hostnameVerifier((host, session) -> true).build();
    try (Response r = postDirect(anonymous, "/pay")) {
      assertThat(r.code()).isEqualTo(403);
      assertThat(r.body().string()).contains("a caller without a mesh identity may not call payment POST /pay");
    }
    // ...which the "status" rule (no "from") lets read the status page; a path-parameter trick does not help.
    try (Response r = anonymous.newCall(new Request.Builder().url("https://127.0.0.1:" + port + "/status").build())
        .execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(PaymentApplication.PAYMENTS).as("denied calls never reach the handler").hasValue(1);
  }

  @Test
  void aPathTheContainerAndTheFrameworkWouldReadDifferentlyIsRefused() throws Exception {
    // Tomcat normalizes "/admin/../status" to /status (allowed to anyone); Spring MVC routes the raw path
    // to /admin/{account}/{action} (account ".."). Sent as raw bytes: OkHttp would normalize the dots away.
    WorkloadIdentity orders = identity("orders", ORDERS);
    Map<String, String> answers = new TreeMap<>();
    for (String path : List.of("/admin/../status", "/admin/%2e%2e/status", "/admin;x=1/../status",
        "/admin/..;/status", "/admin/%2E%2E/status")) {
      answers.put(path, rawGet(orders, path).lines().findFirst().orElse(""));
    }
    assertThat(PaymentApplication.ADMIN).as("the admin handler was never reached: %s", answers).hasValue(0);
    assertThat(answers.values()).as("%s", answers).allMatch(line -> line.startsWith("HTTP/1.1 400"));
    assertThat(rawGet(orders, "/status")).startsWith("HTTP/1.1 200");
  }

  /** The status line and body of a GET sent as raw bytes over mutual TLS. */
  private String rawGet(WorkloadIdentity caller, String path) throws IOException {
    try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) caller.sslContextFor("payment")
        .getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: payment\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void aCertificateFromAnotherAuthorityNamingAnAllowedServiceIsNotBelieved() throws Exception {
    // Another CA, same trust domain, issuing "orders": the server must not take its word for it.
    CertificateAuthority rogue = CertificateAuthority.loadOrCreate(dir.resolve("rogue-ca"), "mesh.local",
        Duration.ofHours(1), Clock.systemUTC());
    WorkloadIdentity forged = WorkloadIdentity.builder("orders", (service, csr, ttl) -> {
      CertificateAuthority.Issued i = rogue.issue(service, Base64.getEncoder().encodeToString(csr), ttl);
      return new IssuedCertificate(List.of(i.certificate()), i.trustBundle(), i.spiffeId());
    }).build();
    closeables.add(forged);
    forged.renew();
    // It trusts the real mesh's root so that only the server's check of the client is at stake.
    SSLContext ctx = SSLContext.getInstance("TLS");
    WorkloadIdentity real = identity("orders", ORDERS);
    ctx.init(new KeyManager[] {forged.keyManager()}, new TrustManager[] {real.trustManagerFor("payment")}, null);
    OkHttpClient client = new OkHttpClient.Builder()
        .sslSocketFactory(ctx.getSocketFactory(), (X509TrustManager) real.trustManagerFor("payment"))
        .hostnameVerifier((host, session) -> true).build();
    assertThatThrownBy(() -> postDirect(client, "/pay").close()).isInstanceOf(IOException.class);
    assertThat(PaymentApplication.PAYMENTS).hasValue(0);
  }

  @Test
  void theMeshClientRefusesAnEndpointThatIsNotTheServiceItCalls() throws Exception {
    // "payment" resolves to a server presenting billing's certificate: the same CA, another workload.
    WorkloadIdentity billing = identity("billing", BILLING);
    com.sun.net.httpserver.HttpsServer impostor = com.sun.net.httpserver.HttpsServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    impostor.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(billing.sslContext()));
    AtomicInteger served = new AtomicInteger();
    impostor.createContext("/", exchange -> {
      served.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    impostor.start();
    closeables.add(() -> impostor.stop(0));
    // The address is listed for billing too (a shared or reused address): who answers is decided by the
    // service the call is for, not by the address.
    List<Endpoint> impostorAddress = List.of(Endpoint.of("127.0.0.1", impostor.getAddress().getPort()));
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.create().set("payment", impostorAddress)
        .set("billing", impostorAddress)).build();
    closeables.add(mesh);
    OkHttpClient orders = MeshOkHttp.client(mesh, new OkHttpClient(), identity("orders", ORDERS));
    try (Response r = orders.newCall(new Request.Builder().url("https://billing/bill").build()).execute()) {
      assertThat(r.code()).isEqualTo(200); // billing is billing
    }
    assertThat(served).hasValue(1);
    // payment's call on that same pooled connection, then on new ones: refused before a byte is sent
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> post(orders, "/pay").close()).isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(causes(e)).contains("presented spiffe://mesh.local/service/billing"
              + " (expected: spiffe://mesh.local/service/payment, the service it was called as)"));
      orders.connectionPool().evictAll();
    }
    assertThat(served).as("no request for payment was sent to the impostor").hasValue(1);
    // And no mesh call in cleartext from a client with an identity (nobody would check who answers).
    assertThatThrownBy(() -> orders.newCall(new Request.Builder().url("http://billing/bill").build()).execute()
        .close()).isInstanceOf(IOException.class)
        .satisfies(e -> assertThat(causes(e)).contains("service 'billing' called over plaintext http://127.0.0.1:",
            "(expected: https://billing/...; use a client without an identity for plaintext services)"));
    assertThat(served).hasValue(1);
  }

  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c).append('\n');
      for (Throwable s : c.getSuppressed()) {
        b.append(s).append('\n');
      }
    }
    return b.toString();
  }

  @Test
  void aRenewedCertificateIsServedOnNewConnectionsWhileOldOnesCarryOn() throws Exception {
    OkHttpClient orders = client(identity("orders", ORDERS));
    String before;
    try (Response r = post(orders, "/pay")) {
      assertThat(r.code()).isEqualTo(200);
      before = serial(r);
    }
    WorkloadIdentity server = app.getBean(WorkloadIdentity.class);
    server.renew();
    String renewed = server.status().serial();
    assertThat(renewed).isNotEqualTo(before);
    try (Response r = post(orders, "/pay")) { // the pooled connection, made before the renewal
      assertThat(r.code()).isEqualTo(200);
      assertThat(serial(r)).isEqualTo(before);
    }
    try (Response r = post(client(identity("orders", ORDERS)), "/pay")) { // a new connection
      assertThat(r.code()).isEqualTo(200);
      assertThat(serial(r)).isEqualTo(renewed);
    }
  }

  private static String serial(Response r) {
    return ((X509Certificate) r.handshake().peerCertificates().get(0)).getSerialNumber().toString(16);
  }
}
