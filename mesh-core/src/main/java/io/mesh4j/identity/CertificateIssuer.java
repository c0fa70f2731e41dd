package io.mesh4j.identity;

import java.io.IOException;
import java.time.Duration;

/**
 * Issues workload certificates: the mesh control plane ({@code ControlPlaneClient.certificateIssuer()}) or
 * anything else that signs a CSR for a service.
 */
@FunctionalInterface
public interface CertificateIssuer {
  /**
   * Asks for a certificate for {@code service}.
   *
   * @param csrDer the PKCS#10 request, DER; it carries the public key, the private key stays with the caller
   * @param ttl    the lifetime asked for, or null for the issuer's default
   * @throws IOException when the issuer cannot be reached or refuses (the message says why)
   */
  IssuedCertificate issue(String service, byte[] csrDer, Duration ttl) throws IOException;
}
