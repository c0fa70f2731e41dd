package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS when a keystore is given: a self-signed certificate for 127.0.0.1 made with the JDK's keytool. */
class TlsIT {
  @TempDir Path dir;

  @Test
  void servesHttpsWithTheGivenKeystore() throws Exception {
    Path keystore = keystore();
    try (TestControlPlane cp = TestControlPlane.start(dir.resolve("data"), b -> b.tls(keystore, "changeit"))) {
      assertThat(cp.server.uri().getScheme()).isEqualTo("https");
      SSLContext ssl = trusting(keystore);
      HttpClient tls = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
      Http admin = new Http(cp.server.uri(), TestControlPlane.ADMIN, tls);
      assertThat(admin.put("/v1/services/orders/policy", "{}").status()).isEqualTo(200);
      assertThat(admin.get("/v1/watch?service=orders&since=0").json().get("revision").asLong()).isEqualTo(1);

      // A client that does not trust the certificate fails the handshake.
      Http untrusting = new Http(cp.server.uri(), TestControlPlane.ADMIN,
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
      assertThatThrownBy(() -> untrusting.get("/v1/health")).hasCauseInstanceOf(
          javax.net.ssl.SSLHandshakeException.class);
    }
  }

  @Test
  void theConnectionGuardWorksUnderTlsTooTheHandshakeCountsAgainstTheDeadline() throws Exception {
    // Found in review: no test covered the guard on a TLS connector (Jetty's SslConnection below HTTP).
    Path keystore = keystore();
    SSLContext ssl = trusting(keystore);
    try (TestControlPlane cp = TestControlPlane.start(dir.resolve("deadline"), b -> b.tls(keystore, "changeit")
        .firstRequestTimeout(Duration.ofMillis(300)))) {
      try (java.net.Socket silent = new java.net.Socket("127.0.0.1", cp.server.port())) {
        silent.setSoTimeout(30_000);
        assertThat(silent.getInputStream().read()).as("a connection that never starts its handshake").isEqualTo(-1);
      }
    }
    try (TestControlPlane cp = TestControlPlane.start(dir.resolve("cap"), b -> b.tls(keystore, "changeit")
        .maxConnectionsPerAddress(20).firstRequestTimeout(Duration.ZERO))) {
      java.util.List<java.net.Socket> flood = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 30; i++) {
          java.net.Socket s = new java.net.Socket();
          flood.add(s);
          s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
          s.connect(new java.net.InetSocketAddress("127.0.0.1", cp.server.port()), 10_000);
        }
        int handshaken = 0;
        for (java.net.Socket s : flood) {
          try {
            s.setSoTimeout(30_000);
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket(s,
                "127.0.0.1", cp.server.port(), false);
            tls.startHandshake();
            handshaken++;
          } catch (java.io.IOException closedWhenAccepted) {
            // over the cap
          }
        }
        assertThat(handshaken).isEqualTo(20);
      } finally {
        for (java.net.Socket s : flood) {
          s.close();
        }
      }
    }
  }

  private Path keystore() throws Exception {
    Path keystore = dir.resolve("cp-" + System.nanoTime() + ".p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "cp", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    return keystore;
  }

  private static SSLContext trusting(Path keystore) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trust.load(in, "changeit".toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }
}
