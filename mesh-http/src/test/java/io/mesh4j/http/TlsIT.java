package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS mesh services: a real TLS server on loopback whose certificate names the service
 * ({@code SAN DNS:orders}, made by the JDK's keytool), trusted by the application's client, called as
 * {@code https://orders/...}. Before, the rewrite to the endpoint's IP made host-name verification fail
 * ("Hostname 127.0.0.1 not verified").
 */
class TlsIT {
  @TempDir static Path dir;
  static HttpsServer server;
  static SSLContext serverContext;
  static SSLContext clientContext;
  static X509TrustManager trust;

  @BeforeAll
  static void start() throws Exception {
    Path ks = dir.resolve("orders.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "orders", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=orders",
        "-ext", "SAN=dns:orders", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(out).isZero();

    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    serverContext = SSLContext.getInstance("TLS");
    serverContext.init(kmf.getKeyManagers(), null, null);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store); // the application trusts this self-signed certificate
    trust = (X509TrustManager) tmf.getTrustManagers()[0];
    clientContext = SSLContext.getInstance("TLS");
    clientContext.init(null, new javax.net.ssl.TrustManager[] {trust}, null);

    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    server.createContext("/", ex -> {
      byte[] body = "secure orders".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    server.start();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  private static OkHttpClient appClient() {
    return new OkHttpClient.Builder().sslSocketFactory(clientContext.getSocketFactory(), trust).build();
  }

  private static Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", server.getAddress().getPort());
  }

  @Test
  void anHttpsServiceIsVerifiedAgainstItsServiceName() throws Exception {
    try (Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(endpoint())))
        .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, appClient());
      for (int i = 0; i < 3; i++) {
        try (Response r = client.newCall(new Request.Builder().url("https://orders/x").build()).execute()) {
          assertThat(r.code()).isEqualTo(200);
          assertThat(r.body().string()).isEqualTo("secure orders");
          assertThat(r.handshake()).isNotNull();
        }
      }
    }
  }

  /** The same endpoint serving as {@code payments}: its certificate names {@code orders}, so it is refused. */
  @Test
  void aCertificateForAnotherServiceIsRefused() throws Exception {
    try (Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("payments", List.of(endpoint())))
        .defaultPolicy(io.mesh4j.policy.ServicePolicy.builder()
            .retries(io.mesh4j.policy.RetryPolicy.disabled()).build())
        .eventLog(e -> { }).build()) {
      OkHttpClient client = MeshOkHttp.client(mesh, appClient());
      assertThatThrownBy(() -> client.newCall(new Request.Builder().url("https://payments/x").build()).execute())
          .isInstanceOf(SSLPeerUnverifiedException.class);
    }
  }
}
