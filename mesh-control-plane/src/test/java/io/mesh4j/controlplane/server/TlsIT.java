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
    Path keystore = dir.resolve("cp.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "cp", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();

    try (TestControlPlane cp = TestControlPlane.start(dir.resolve("data"), b -> b.tls(keystore, "changeit"))) {
      assertThat(cp.server.uri().getScheme()).isEqualTo("https");
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keystore)) {
        trust.load(in, "changeit".toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
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
}
