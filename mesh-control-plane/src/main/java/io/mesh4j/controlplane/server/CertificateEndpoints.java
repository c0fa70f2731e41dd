package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.policy.Durations;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/services/{name}/certificate} (a client token scoped to the service, or the admin token):
 * issues a workload certificate from a CSR; {@code GET /v1/trust-bundle} (any token): the roots to trust.
 */
final class CertificateEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateEndpoints.class);
  private static final Set<String> FIELDS = Set.of("csr", "ttl");

  private final CertificateAuthority ca;
  private final Store store;

  CertificateEndpoints(CertificateAuthority ca, Store store) {
    this.ca = ca;
    this.store = store;
  }

  /** POST: 201 {service, spiffeId, certificate, notBefore, notAfter, serial, trustBundle: [...]}. */
  void issue(Exchange ex) {
    ex.query(Set.of());
    // An identity is only as good as the proof behind it: not without authentication, and not for a token
    // that may act for every service (the single --client-token, or "*"): every workload sharing it could
    // get every other service's identity.
    if (ex.principal == null || ex.principal == io.mesh4j.controlplane.auth.Principal.ANONYMOUS_ADMIN) {
      throw new Problem(403, "Forbidden", "certificates are not issued without authentication (--no-auth)"
          + " (expected: a control plane with tokens, and a client token scoped to '" + ex.service + "')");
    }
    if (ex.principal.role() == io.mesh4j.controlplane.auth.Role.CLIENT && ex.principal.services().contains("*")) {
      throw new Problem(403, "Forbidden", "token '" + ex.principal.name() + "' may act for every service, so it"
          + " proves no identity (expected: a client token scoped to '" + ex.service + "' in the tokens file, or"
          + " the admin token)");
    }
    JsonNode body = Json.parse(ex.body);
    if (!body.isObject()) {
      throw Problem.badRequest("Invalid body", "$", "expected an object {\"csr\": \"<base64 DER>\", \"ttl\":"
          + " \"24h\"}");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw Problem.badRequest("Invalid body", Params.quote(f), "unknown field (expected: csr, ttl)");
      }
    }
    JsonNode csr = body.get("csr");
    if (csr == null || !csr.isTextual()) {
      throw Problem.badRequest("Invalid body", "csr", "missing (expected: a PKCS#10 certificate signing request,"
          + " base64 DER)");
    }
    Duration ttl = null;
    JsonNode t = body.get("ttl");
    if (t != null) {
      if (!t.isTextual()) {
        throw Problem.badRequest("Invalid body", "ttl", "expected a duration such as \"24h\" or \"10m\"");
      }
      try {
        ttl = Durations.parse(t.asText());
      } catch (IllegalArgumentException e) {
        throw Problem.badRequest("Invalid body", "ttl", e.getMessage() + " (expected: a duration such as \"24h\")");
      }
    }
    CertificateAuthority.Issued issued;
    try {
      issued = ca.issue(ex.service, csr.asText(), ttl);
    } catch (CertificateAuthority.CsrException e) {
      throw Problem.badRequest("Invalid certificate request", e.field(), e.getMessage());
    }
    X509Certificate c = issued.certificate();
    String serial = c.getSerialNumber().toString(16);
    store.recordAudit(ex.actor(), "certificate.issue", ex.service, issued.spiffeId() + " serial " + serial
        + " until " + c.getNotAfter().toInstant());
    LOG.info("issued a certificate for {} (serial {}, until {}) to token '{}' from {}", issued.spiffeId(), serial,
        c.getNotAfter().toInstant(), ex.actor().name(), ex.actor().address());
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("service", ex.service);
    out.put("spiffeId", issued.spiffeId().toString());
    out.put("serial", serial);
    out.put("notBefore", c.getNotBefore().toInstant().toString());
    out.put("notAfter", c.getNotAfter().toInstant().toString());
    out.put("certificate", issued.pem());
    bundle(out.putArray("trustBundle"));
    ex.send(201, out);
  }

  /** GET: 200 {trustDomain, roots: [PEM]}. */
  void trustBundle(Exchange ex) {
    ex.query(Set.of());
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("trustDomain", ca.trustDomain());
    bundle(out.putArray("roots"));
    ex.send(200, out);
  }

  private void bundle(ArrayNode a) {
    for (X509Certificate root : ca.trustBundle()) {
      a.add(CertificateAuthority.pem(root));
    }
  }
}
