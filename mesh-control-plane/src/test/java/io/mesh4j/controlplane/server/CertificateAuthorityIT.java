package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.controlplane.auth.TokenAuthenticator;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane as the certificate authority (issue 13): a client sends a CSR for its own service with a
 * token scoped to it and gets a short-lived certificate with the SPIFFE URI SAN; real TLS handshakes on
 * loopback show the certificates authenticate both sides and that one the CA did not issue is refused.
 */
class CertificateAuthorityIT {
  static final String OPS = "ops-secret-0123456789";
  static final String ORDERS = "orders-secret-0123456789";
  static final String PAYMENT = "payment-secret-0123456789";
  @TempDir Path dir;
  TestControlPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = start(dir);
  }

  private TestControlPlane start(Path base) throws Exception {
    Path tokens = base.resolve("tokens.json");
    Files.createDirectories(base);
    Files.writeString(tokens, """
        {"tokens": [
          {"name": "ops", "role": "admin", "token": "%s"},
          {"name": "orders", "role": "client", "services": ["orders"], "token": "%s"},
          {"name": "payment", "role": "client", "services": ["payment"], "token": "%s"}
        ]}""".formatted(OPS, ORDERS, PAYMENT));
    return TestControlPlane.start(base.resolve("cp"), b -> b.auth(TokenAuthenticator.builder().tokensFile(tokens)
        .build()));
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void aClientGetsACertificateForItsOwnServiceThatChainsToTheTrustBundle() throws Exception {
    KeyPair key = ecKey();
    Http.Reply r = cp.http(ORDERS).post("/v1/services/orders/certificate", body(csr(key, null), "1h"));
    assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
    X509Certificate cert = certificate(r.json().get("certificate").asText());
    X509Certificate root = certificate(r.json().get("trustBundle").get(0).asText());
    cert.verify(root.getPublicKey());
    assertThat(cert.getPublicKey()).isEqualTo(key.getPublic()); // the private key never left the client
    assertThat(r.json().get("spiffeId").asText()).isEqualTo("spiffe://mesh.local/service/orders");
    assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://mesh.local/service/orders"));
    assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    long lifetime = cert.getNotAfter().getTime() - cert.getNotBefore().getTime();
    assertThat(Duration.ofMillis(lifetime)).isEqualTo(Duration.ofHours(1).plusMinutes(1)); // 1 min back-dated
    assertThat(cp.http(ORDERS).get("/v1/trust-bundle").json().get("roots").get(0).asText())
        .isEqualTo(r.json().get("trustBundle").get(0).asText());
    // The issue is in the audit log, by whom.
    JsonNode audit = cp.http(OPS).get("/v1/audit?service=orders").json().get("entries");
    assertThat(audit.get(audit.size() - 1).get("action").asText()).isEqualTo("certificate.issue");
    assertThat(audit.get(audit.size() - 1).get("actor").asText()).isEqualTo("orders");
  }

  @Test
  void aRequestForAnotherServiceOrABrokenOneIsRefusedAndNothingIsIssued() throws Exception {
    KeyPair key = ecKey();
    // Another service's path: the token is not scoped to it.
    Http.Reply other = cp.http(ORDERS).post("/v1/services/payment/certificate", body(csr(key, null), null));
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.json().get("detail").asText()).contains("not for service 'payment'");
    // Its own path, but the CSR asks for another identity.
    Http.Reply asks = cp.http(ORDERS).post("/v1/services/orders/certificate",
        body(csr(key, "spiffe://mesh.local/service/payment"), null));
    assertThat(asks.status()).isEqualTo(400);
    assertThat(asks.json().at("/violations/0/problem").asText()).contains("asks for the name"
        + " 'spiffe://mesh.local/service/payment' (expected: spiffe://mesh.local/service/orders");
    // A request signed by another key than the one it carries (the key's owner did not ask).
    String forged = csr(key, null, ecKey());
    Http.Reply bad = cp.http(ORDERS).post("/v1/services/orders/certificate", body(forged, null));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().at("/violations/0/problem").asText()).contains("signature does not verify");
    Http.Reply garbage = cp.http(ORDERS).post("/v1/services/orders/certificate", body("hello", null));
    assertThat(garbage.status()).isEqualTo(400);
    assertThat(garbage.json().at("/violations/0/path").asText()).isEqualTo("csr");
    assertThat(garbage.json().at("/violations/0/problem").asText()).contains("(expected: a PKCS#10 certificate");
    Http.Reply longTtl = cp.http(ORDERS).post("/v1/services/orders/certificate", body(csr(key, null), "48h"));
    assertThat(longTtl.status()).isEqualTo(400);
    assertThat(longTtl.json().at("/violations/0/problem").asText()).contains("(expected: 10s to 24h)");
    assertThat(cp.http(OPS).get("/v1/audit").json().get("entries")).isEmpty();
  }

  @Test
  void issuedCertificatesAuthenticateBothSidesOfARealTlsHandshakeAndAStrangerIsRefused() throws Exception {
    KeyPair serverKey = ecKey();
    KeyPair clientKey = ecKey();
    JsonNode server = cp.http(PAYMENT).post("/v1/services/payment/certificate", body(csr(serverKey, null), null))
        .json();
    JsonNode client = cp.http(ORDERS).post("/v1/services/orders/certificate", body(csr(clientKey, null), null))
        .json();
    X509Certificate root = certificate(server.get("trustBundle").get(0).asText());
    SSLContext serverTls = tls(serverKey, certificate(server.get("certificate").asText()), root);
    SSLContext clientTls = tls(clientKey, certificate(client.get("certificate").asText()), root);

    assertThat(handshake(serverTls, clientTls)).isEqualTo("spiffe://mesh.local/service/orders");

    // A client with a certificate the mesh's CA did not issue (self-signed, same SAN) is refused.
    KeyPair strangerKey = ecKey();
    X509Certificate stranger = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
        new X500Name("CN=orders"), java.math.BigInteger.TEN, new java.util.Date(System.currentTimeMillis() - 60_000),
        new java.util.Date(System.currentTimeMillis() + 3_600_000), new X500Name("CN=orders"),
        strangerKey.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(strangerKey.getPrivate())));
    SSLContext strangerTls = tls(strangerKey, stranger, root);
    // (The JDK client offers no certificate the server's CA list does not cover, so the server sees an empty
    // chain; a client that sent it anyway would fail path validation.)
    assertThatThrownBy(() -> handshake(serverTls, strangerTls)).isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
        .message().containsAnyOf("Empty client certificate chain", "PKIX path");
  }

  @Test
  void aTokenForEveryServiceOrNoAuthenticationGetsNoCertificate() throws Exception {
    // Found in review: the single --client-token (every service) and --no-auth (anyone) could get any identity.
    try (TestControlPlane single = TestControlPlane.start(dir.resolve("single"));
        TestControlPlane open = TestControlPlane.start(dir.resolve("open"), b -> b.auth(TokenAuthenticator
            .disabled()))) {
      String body = body(csr(ecKey(), null), null);
      Http.Reply shared = single.client.post("/v1/services/orders/certificate", body);
      assertThat(shared.status()).isEqualTo(403);
      assertThat(shared.json().get("detail").asText()).contains("token 'client' may act for every service");
      assertThat(single.admin.post("/v1/services/orders/certificate", body).status()).isEqualTo(201);
      Http.Reply anonymous = open.http(null).post("/v1/services/orders/certificate", body);
      assertThat(anonymous.status()).isEqualTo(403);
      assertThat(anonymous.json().get("detail").asText()).contains("not issued without authentication");
    }
  }

  @Test
  void anRsaKeyWithASmallExponentIsRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(new java.security.spec.RSAKeyGenParameterSpec(2048, java.math.BigInteger.valueOf(3)));
    KeyPair rsa = g.generateKeyPair();
    var request = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=orders"), rsa.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate()));
    Http.Reply r = cp.http(ORDERS).post("/v1/services/orders/certificate",
        body(java.util.Base64.getEncoder().encodeToString(request.getEncoded()), null));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().at("/violations/0/problem").asText()).contains("public exponent 3 (expected: an odd"
        + " exponent of at least 65537)");
  }

  @Test
  void theRootIsKeptInTheDataDirectoryAcrossRestarts() throws Exception {
    String before = cp.http(ORDERS).get("/v1/trust-bundle").json().get("roots").get(0).asText();
    cp.close();
    cp = start(dir);
    assertThat(cp.http(ORDERS).get("/v1/trust-bundle").json().get("roots").get(0).asText()).isEqualTo(before);
    Path key = dir.resolve("cp").resolve("ca").resolve("root-key.pem");
    assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(
        java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  /** Runs one TLS handshake on loopback and returns the client identity the server saw. */
  private static String handshake(SSLContext serverTls, SSLContext clientTls) throws Exception {
    try (SSLServerSocket ss = (SSLServerSocket) serverTls.getServerSocketFactory().createServerSocket(0, 1,
        InetAddress.getLoopbackAddress())) {
      ss.setNeedClientAuth(true);
      ss.setSoTimeout(30_000);
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) ss.accept()) {
          s.startHandshake();
          X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
          InputStream in = s.getInputStream();
          in.read();
          return (String) peer.getSubjectAlternativeNames().iterator().next().get(1);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      try (SSLSocket c = (SSLSocket) clientTls.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
          ss.getLocalPort())) {
        c.setSoTimeout(30_000);
        c.startHandshake();
        OutputStream out = c.getOutputStream();
        out.write(1);
        out.flush();
        return seen.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // The client failed (with TLS 1.3 it often learns of the refusal only as a broken connection): the
        // server's side says why.
        try {
          seen.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException serverSide) {
          throw (Exception) serverSide.getCause();
        }
        throw e;
      }
    }
  }

  private static SSLContext tls(KeyPair key, X509Certificate cert, X509Certificate root) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", key.getPrivate(), new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("root", root);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static String csr(KeyPair key, String uriSan) throws Exception {
    return csr(key, uriSan, key);
  }

  /** A CSR (base64 DER) carrying {@code key}'s public key, signed by {@code signer}'s private key. */
  static String csr(KeyPair key, String uriSan, KeyPair signer) throws Exception {
    JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=anything"),
        key.getPublic());
    if (uriSan != null) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
          GeneralName.uniformResourceIdentifier, uriSan)));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    var request = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
    return java.util.Base64.getEncoder().encodeToString(request.getEncoded());
  }

  private static String body(String csrPem, String ttl) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode n = Http.MAPPER.createObjectNode().put("csr", csrPem);
    if (ttl != null) {
      n.put("ttl", ttl);
    }
    return n.toString();
  }

  static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(
        pem.getBytes(StandardCharsets.US_ASCII)));
  }
}
