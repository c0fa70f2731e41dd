package io.mesh4j.internal.identity;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer when its chain passes the delegate (the mesh's trust bundle) <em>and</em> its certificate
 * names the expected workload: the URI SAN {@code spiffe://<trust-domain>/service/<name>}, not the host name
 * (in a mesh the address is an endpoint's IP; what matters is which service answers).
 */
public final class PeerIdentityTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager delegate;
  private final Supplier<String> expected;

  /** @param expected the SPIFFE ID the peer must present, read at each handshake */
  public PeerIdentityTrustManager(X509ExtendedTrustManager delegate, Supplier<String> expected) {
    this.delegate = delegate;
    this.expected = expected;
  }

  private void checkName(X509Certificate[] chain) throws CertificateException {
    String want = expected.get();
    String got = chain == null || chain.length == 0 ? null : uriSan(chain[0]);
    if (!want.equals(got)) {
      throw new CertificateException("peer presented " + (got == null ? "no SPIFFE ID" : got) + " (expected: "
          + want + ")");
    }
  }

  /** The certificate's first URI SAN (its SPIFFE ID in the mesh), or null when it has none. */
  public static String uriSan(X509Certificate cert) throws CertificateParsingException {
    var names = cert.getSubjectAlternativeNames();
    if (names != null) {
      for (List<?> n : names) {
        if (Integer.valueOf(6).equals(n.get(0))) {
          return (String) n.get(1);
        }
      }
    }
    return null;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
    checkName(chain);
  }

  /**
   * The chain against the trust bundle, then the workload name. Not the host name: a client that asks for
   * endpoint identification (grpc-java always does, with "HTTPS") would otherwise refuse every mesh
   * certificate, which names a workload and no host; the SPIFFE ID check replaces it.
   */
  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
    checkName(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, engine);
    checkName(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType); // no host name check: see the Socket overload
    checkName(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
    checkName(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
    checkName(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
