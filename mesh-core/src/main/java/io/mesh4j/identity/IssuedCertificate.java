package io.mesh4j.identity;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A certificate an issuer returned.
 *
 * @param chain       the leaf first, then any intermediates
 * @param trustBundle the roots a peer's certificate must chain to
 * @param spiffeId    the identity in the leaf, {@code spiffe://<trust-domain>/service/<name>}
 */
public record IssuedCertificate(List<X509Certificate> chain, List<X509Certificate> trustBundle, URI spiffeId) {
  public IssuedCertificate {
    chain = List.copyOf(chain);
    trustBundle = List.copyOf(trustBundle);
    Objects.requireNonNull(spiffeId, "spiffeId");
    if (chain.isEmpty() || trustBundle.isEmpty()) {
      throw new IllegalArgumentException("an issued certificate needs a leaf and at least one root (got "
          + chain.size() + " certificate(s) and " + trustBundle.size() + " root(s))");
    }
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }
}
