package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mesh4j.identity.CertificateIssuer;
import io.mesh4j.identity.IssuedCertificate;
import io.mesh4j.policy.Durations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link CertificateIssuer} on the control plane's {@code POST /v1/services/{name}/certificate}, with the
 * client's token (which must be scoped to the service, or be the admin token).
 */
final class ControlPlaneIssuer implements CertificateIssuer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String token;
  private final Supplier<URI> base;

  ControlPlaneIssuer(HttpClient http, String token, Supplier<URI> base) {
    this.http = http;
    this.token = token;
    this.base = base;
  }

  @Override
  public IssuedCertificate issue(String service, byte[] csrDer, Duration ttl) throws IOException {
    URI cp = base.get();
    var body = JSON.createObjectNode().put("csr", Base64.getEncoder().encodeToString(csrDer));
    if (ttl != null) {
      body.put("ttl", Durations.format(ttl));
    }
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(cp + "/v1/services/" + service + "/certificate"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r;
    try {
      r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted asking " + cp + " for a certificate for service '" + service + "'", e);
    }
    if (r.statusCode() != 201) {
      String text = r.body() == null ? "" : r.body();
      throw new IOException("control plane " + cp + " answered " + r.statusCode() + " to the certificate request"
          + " for service '" + service + "'" + (r.statusCode() == 401 || r.statusCode() == 403
          ? " (check the client token: it must be scoped to the service)" : "") + ": "
          + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
    }
    JsonNode n = JSON.readTree(r.body());
    try {
      List<X509Certificate> chain = certificates(n.path("certificate").asText());
      List<X509Certificate> roots = new ArrayList<>();
      for (JsonNode root : n.path("trustBundle")) {
        roots.addAll(certificates(root.asText()));
      }
      return new IssuedCertificate(chain, roots, URI.create(n.path("spiffeId").asText()));
    } catch (CertificateException | IllegalArgumentException e) {
      throw new IOException("control plane " + cp + " returned an unusable certificate for service '" + service
          + "': " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> certificates(String pem) throws CertificateException {
    List<X509Certificate> out = new ArrayList<>();
    for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
        pem.getBytes(StandardCharsets.US_ASCII)))) {
      out.add((X509Certificate) c);
    }
    return out;
  }
}
