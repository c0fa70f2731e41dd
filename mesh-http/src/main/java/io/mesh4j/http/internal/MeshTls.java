package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.internal.identity.PeerIdentityTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Mutual TLS for the mesh's OkHttp client: the client presents its workload certificate, and a server
 * that is a mesh endpoint (its {@code host:port} is an endpoint of a service the mesh knows) must chain
 * to the mesh's trust bundle <em>and</em> name one of the services it is an endpoint of
 * ({@code spiffe://<trust-domain>/service/<name>}). Any other server is checked as before: the JDK's
 * default trust store and the application's host name verifier, so one client can still call hosts
 * outside the mesh.
 *
 * <p>Runs once per TLS handshake (connections are pooled), off the request path; it reads the runtimes'
 * immutable endpoint snapshots and the identity's current certificate.
 */
public final class MeshTls {
  private final Mesh mesh;
  private final WorkloadIdentity identity;
  private final X509ExtendedTrustManager platform;
  private final TrustManager trust = new EndpointTrustManager();

  private MeshTls(Mesh mesh, WorkloadIdentity identity) throws GeneralSecurityException {
    this.mesh = mesh;
    this.identity = identity;
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init((KeyStore) null);
    this.platform = (X509ExtendedTrustManager) Arrays.stream(f.getTrustManagers())
        .filter(t -> t instanceof X509ExtendedTrustManager).findFirst()
        .orElseThrow(() -> new GeneralSecurityException("no X509 trust manager in the platform"));
  }

  /** Mutual TLS for {@code mesh}'s endpoints with {@code identity}. */
  public static MeshTls of(Mesh mesh, WorkloadIdentity identity) {
    try {
      return new MeshTls(mesh, identity);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS for the mesh client: " + e.getMessage(), e);
    }
  }

  /** A context presenting the identity and trusting as described above. */
  public SSLContext sslContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {identity.keyManager()}, new TrustManager[] {trust}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS for the mesh client: " + e.getMessage(), e);
    }
  }

  public X509TrustManager trustManager() {
    return (X509TrustManager) trust;
  }

  /**
   * The host name verifier to give {@link MeshHostnameVerifier}: it is asked with a service name for a
   * mesh endpoint (whose certificate the trust manager has already matched to it) and with the host
   * otherwise, which goes to {@code application}'s verifier.
   */
  public HostnameVerifier hostnameVerifier(HostnameVerifier application) {
    return (name, session) -> {
      String want = prefix();
      if (want != null) {
        try {
          Certificate[] peer = session.getPeerCertificates();
          if (peer.length > 0 && peer[0] instanceof X509Certificate leaf
              && (want + name).equals(PeerIdentityTrustManager.uriSan(leaf))) {
            return true;
          }
        } catch (SSLPeerUnverifiedException | CertificateParsingException e) {
          // not a mesh certificate: the application's verifier decides
        }
      }
      return application.verify(name, session);
    };
  }

  /** {@code spiffe://<trust-domain>/service/}, from the identity's current certificate; null before it has one. */
  private String prefix() {
    var id = identity.status().spiffeId();
    if (id == null) {
      return null;
    }
    String s = id.toString();
    return s.substring(0, s.indexOf("/service/") + "/service/".length());
  }

  /** The services {@code host:port} is an endpoint of. */
  private List<String> servicesAt(String host, int port) {
    List<String> names = new ArrayList<>(1);
    for (ServiceRuntime rt : mesh.services()) {
      for (EndpointStats e : rt.endpoints()) {
        if (e.endpoint().port() == port && e.endpoint().host().equals(host)) {
          names.add(rt.name());
          break;
        }
      }
    }
    return names;
  }

  private final class EndpointTrustManager extends X509ExtendedTrustManager {
    private void checkServer(X509Certificate[] chain, String authType, String host, int port, Runnable platformCheck)
        throws CertificateException {
      List<String> services = host == null ? List.of() : servicesAt(host, port);
      if (services.isEmpty()) {
        platformCheck.run();
        return;
      }
      // A mesh endpoint: the mesh's roots only, then the workload it must be.
      identity.trustManager().checkServerTrusted(chain, authType);
      String want = prefix();
      String got = chain == null || chain.length == 0 ? null : PeerIdentityTrustManager.uriSan(chain[0]);
      for (String s : services) {
        if (want != null && (want + s).equals(got)) {
          return;
        }
      }
      throw new CertificateException("peer " + host + ":" + port + " presented " + (got == null ? "no SPIFFE ID"
          : got) + " (expected: " + (want == null ? "spiffe://<trust-domain>/service/" : want)
          + String.join(" or ", services) + ", the service it is an endpoint of)");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      String host = null;
      int port = socket == null ? -1 : socket.getPort();
      if (socket instanceof SSLSocket ssl && ssl.getHandshakeSession() != null) {
        SSLSession s = ssl.getHandshakeSession();
        host = s.getPeerHost();
        port = s.getPeerPort();
      }
      CertificateException[] failed = new CertificateException[1];
      checkServer(chain, authType, host, port, () -> {
        try {
          platform.checkServerTrusted(chain, authType, socket);
        } catch (CertificateException e) {
          failed[0] = e;
        }
      });
      if (failed[0] != null) {
        throw failed[0];
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      String host = engine == null ? null : engine.getPeerHost();
      int port = engine == null ? -1 : engine.getPeerPort();
      CertificateException[] failed = new CertificateException[1];
      checkServer(chain, authType, host, port, () -> {
        try {
          platform.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
          failed[0] = e;
        }
      });
      if (failed[0] != null) {
        throw failed[0];
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      platform.checkServerTrusted(chain, authType); // no peer to look up: not a mesh endpoint as far as we know
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("the mesh client's trust manager checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("the mesh client's trust manager checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the mesh client's trust manager checks servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      X509Certificate[] mesh = identity.trustManager().getAcceptedIssuers();
      X509Certificate[] jdk = platform.getAcceptedIssuers();
      X509Certificate[] all = Arrays.copyOf(mesh, mesh.length + jdk.length);
      System.arraycopy(jdk, 0, all, mesh.length, jdk.length);
      return all;
    }
  }
}
