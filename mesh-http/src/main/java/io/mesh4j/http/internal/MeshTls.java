package io.mesh4j.http.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.internal.identity.PeerIdentityTrustManager;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.Connection;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Mutual TLS for the mesh's OkHttp client. Decided by the <em>call</em>, not by the address:
 *
 * <ul>
 *   <li>The handshake presents the workload certificate and accepts a chain that passes either the mesh's
 *       roots or the base client's trust manager (the JDK's by default). It does not decide who the peer
 *       is: addresses are not identities.</li>
 *   <li>{@link #peerCheck()}, a network interceptor, runs before every exchange, on the connection the
 *       exchange will use (new, pooled or resumed): a call the mesh routed to service S (tagged by the
 *       attempt layer with {@link MeshTarget}) proceeds only if the connection's peer chain passes the
 *       mesh's <em>current</em> roots and its certificate names S ({@code spiffe://<td>/service/S});
 *       any other call proceeds only if the peer is <em>not</em> a mesh workload. Nothing of the request
 *       is sent otherwise. The result is remembered per connection and service, so a pooled connection
 *       costs one cache lookup.</li>
 *   <li>Host names of mesh workloads are not checked ({@link #hostnameVerifier}: their certificates
 *       name services, not hosts); other hosts keep the base client's verifier.</li>
 *   <li>A call the mesh routed to a service over plaintext is refused: a client with an identity talks to
 *       mesh services over mutual TLS only (a redirect down to {@code http://} included).</li>
 *   <li>On every renewal the client's TLS sessions are invalidated, so resumed connections present the
 *       new certificate, and pooled connections are checked again against the roots as they are then.</li>
 * </ul>
 */
public final class MeshTls {
  private static final String UNKNOWN_AUTH = "UNKNOWN"; // what the JDK passes for TLS 1.3

  private final WorkloadIdentity identity;
  private final X509TrustManager base;
  private final SSLContext context;
  private final X509TrustManager trust;
  /** Connection to the service its peer was verified as; weak keys: gone with the connection. */
  private final Cache<Connection, String> verified = Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

  private MeshTls(WorkloadIdentity identity, X509TrustManager base) throws GeneralSecurityException {
    this.identity = identity;
    this.base = base != null ? base : platformTrustManager();
    this.trust = new EitherTrustManager();
    this.context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {identity.keyManager()}, new TrustManager[] {trust}, null);
    identity.addRenewalListener(this::invalidateSessions);
  }

  /**
   * Mutual TLS with {@code identity}; {@code base} is the base client's trust manager for hosts outside the
   * mesh (null: the JDK's).
   */
  public static MeshTls of(WorkloadIdentity identity, X509TrustManager base) {
    try {
      return new MeshTls(identity, base);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS for the mesh client: " + e.getMessage(), e);
    }
  }

  private static X509TrustManager platformTrustManager() throws GeneralSecurityException {
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init((KeyStore) null);
    return (X509TrustManager) Arrays.stream(f.getTrustManagers()).filter(t -> t instanceof X509TrustManager)
        .findFirst().orElseThrow(() -> new GeneralSecurityException("no X509 trust manager in the platform"));
  }

  public SSLContext sslContext() {
    return context;
  }

  public X509TrustManager trustManager() {
    return trust;
  }

  private void invalidateSessions() {
    verified.invalidateAll(); // pooled connections are checked again, against the roots as they are now
    SSLSessionContext sessions = context.getClientSessionContext();
    for (byte[] id : Collections.list(sessions.getIds())) {
      SSLSession s = sessions.getSession(id);
      if (s != null) {
        s.invalidate();
      }
    }
  }

  /** Whether {@code chain} passes the mesh's current roots. */
  private boolean meshChain(X509Certificate[] chain) {
    try {
      identity.trustManager().checkServerTrusted(chain, UNKNOWN_AUTH);
      return true;
    } catch (CertificateException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Host names of mesh workloads are not checked (the per-exchange check names the service); any other
   * peer goes to {@code application}'s verifier.
   */
  public HostnameVerifier hostnameVerifier(HostnameVerifier application) {
    return (host, session) -> {
      X509Certificate[] chain = chainOf(session);
      return (chain != null && meshChain(chain)) || application.verify(host, session);
    };
  }

  private static X509Certificate[] chainOf(SSLSession session) {
    try {
      Certificate[] peer = session.getPeerCertificates();
      return Arrays.stream(peer).allMatch(c -> c instanceof X509Certificate)
          ? Arrays.copyOf(peer, peer.length, X509Certificate[].class) : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The network interceptor checking each exchange's peer against the service it is for. */
  public Interceptor peerCheck() {
    return chain -> {
      Request request = chain.request();
      Connection connection = chain.connection();
      MeshTarget target = request.tag(MeshTarget.class);
      if (connection != null && connection.handshake() != null) {
        String want = target == null ? "" : target.service();
        if (!want.equals(verified.getIfPresent(connection))) {
          check(connection, request, target);
          verified.put(connection, want);
        }
      } else if (target != null) {
        // A client with an identity talks to mesh services over mutual TLS only: no cleartext call (and no
        // redirect down to http://) reaches an endpoint nobody checked.
        throw new MeshTlsException("service '" + target.service() + "' called over plaintext "
            + request.url().scheme() + "://" + hostPort(request) + " by a client with a mesh identity"
            + " (expected: https://" + target.service() + "/...; use a client without an identity for"
            + " plaintext services)");
      }
      return chain.proceed(request);
    };
  }

  private static String hostPort(Request request) {
    String host = request.url().host();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + request.url().port();
  }

  private void check(Connection connection, Request request, MeshTarget target) throws IOException {
    Socket socket = connection.socket();
    X509Certificate[] chain = socket instanceof SSLSocket ssl ? chainOf(ssl.getSession()) : null;
    String peer = hostPort(request);
    if (chain == null) {
      if (target != null) {
        throw new MeshTlsException("peer " + peer + " of service '" + target.service() + "' presented no"
            + " certificate chain (expected: " + prefix() + target.service() + ")");
      }
      return;
    }
    boolean mesh = meshChain(chain);
    if (target == null) {
      if (mesh) {
        throw new MeshTlsException("peer " + peer + " presented a mesh workload certificate ("
            + san(chain) + ") but was called as a host outside the mesh (expected: call mesh services by their"
            + " service name)");
      }
      return;
    }
    String prefix = prefix();
    String want = prefix + target.service();
    if (!mesh) {
      throw new MeshTlsException("peer " + peer + " of service '" + target.service() + "' presented"
          + " a certificate that does not chain to the mesh's roots (expected: " + want + ")");
    }
    String got = san(chain);
    if (!want.equals(got)) {
      throw new MeshTlsException("peer " + peer + " presented " + got + " (expected: " + want
          + ", the service it was called as)");
    }
  }

  private static String san(X509Certificate[] chain) {
    try {
      String s = PeerIdentityTrustManager.uriSan(chain[0]);
      return s == null ? "no SPIFFE ID" : s;
    } catch (CertificateParsingException e) {
      return "an unreadable name";
    }
  }

  /** {@code spiffe://<trust-domain>/service/}, from the identity's current certificate. */
  private String prefix() throws MeshTlsException {
    var id = identity.status().spiffeId();
    if (id == null) {
      throw new MeshTlsException("this client has no workload certificate yet (expected: an identity"
          + " started before calling: " + identity.status().lastError() + ")");
    }
    String s = id.toString();
    return s.substring(0, s.indexOf("/service/") + "/service/".length());
  }

  /** Accepts a server chain that passes the mesh's roots or the base trust manager. */
  private final class EitherTrustManager extends X509ExtendedTrustManager {
    private void check(X509Certificate[] chain, String authType, CheckBase baseCheck) throws CertificateException {
      if (meshChain(chain)) {
        return;
      }
      baseCheck.run();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(chain, authType, () -> {
        if (base instanceof X509ExtendedTrustManager x) {
          x.checkServerTrusted(chain, authType, socket);
        } else {
          base.checkServerTrusted(chain, authType);
        }
      });
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain, authType, () -> {
        if (base instanceof X509ExtendedTrustManager x) {
          x.checkServerTrusted(chain, authType, engine);
        } else {
          base.checkServerTrusted(chain, authType);
        }
      });
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain, authType, () -> base.checkServerTrusted(chain, authType));
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

    /** Read at every call: a new root in the mesh's bundle counts at once. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
      X509Certificate[] mesh = identity.trustManager().getAcceptedIssuers();
      X509Certificate[] other = base.getAcceptedIssuers();
      X509Certificate[] all = Arrays.copyOf(mesh, mesh.length + other.length);
      System.arraycopy(other, 0, all, mesh.length, other.length);
      return all;
    }
  }

  /**
   * A mesh peer failed the identity check, or a mesh service was called in cleartext: nothing of the
   * request was sent.
   */
  public static final class MeshTlsException extends SSLPeerUnverifiedException {
    private static final long serialVersionUID = 1L;

    MeshTlsException(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  private interface CheckBase {
    void run() throws CertificateException;
  }
}
