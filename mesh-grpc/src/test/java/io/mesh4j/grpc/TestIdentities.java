package io.mesh4j.grpc;

import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.identity.CertificateIssuer;
import io.mesh4j.identity.IssuedCertificate;
import io.mesh4j.identity.WorkloadIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Workload identities from the control plane's real certificate authority, in process: the same CSR, the
 * same checks and the same certificates as over the API, without a server to start.
 */
final class TestIdentities implements AutoCloseable {
  final CertificateAuthority ca;
  private final List<WorkloadIdentity> made = new ArrayList<>();

  TestIdentities(Path dir) {
    ca = CertificateAuthority.loadOrCreate(dir, "mesh.local", Duration.ofHours(24), Clock.systemUTC());
  }

  /** The issuer a control plane would be: it signs CSRs for any service. */
  CertificateIssuer issuer() {
    return (service, csrDer, ttl) -> {
      try {
        CertificateAuthority.Issued i = ca.issue(service, Base64.getEncoder().encodeToString(csrDer), ttl);
        return new IssuedCertificate(List.of(i.certificate()), i.trustBundle(), i.spiffeId());
      } catch (CertificateAuthority.CsrException e) {
        throw new IOException(e.getMessage(), e);
      }
    };
  }

  /** A started identity for {@code service} (one-hour certificates). */
  WorkloadIdentity identity(String service) throws IOException {
    WorkloadIdentity id = WorkloadIdentity.builder(service, issuer()).ttl(Duration.ofHours(1)).build();
    made.add(id);
    id.renew();
    return id;
  }

  @Override
  public void close() {
    made.forEach(WorkloadIdentity::close);
  }
}
