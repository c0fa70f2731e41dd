package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;

/**
 * Verifies a mesh endpoint's certificate against the <em>service</em> it was called as.
 *
 * <p>Why: the mesh rewrites {@code https://orders/x} to the endpoint it picked ({@code https://10.0.0.7:8443/x})
 * below which OkHttp verifies the certificate against the host it connected to, the IP, and a certificate
 * made for {@code orders} fails ("Hostname 10.0.0.7 not verified"). This verifier, installed in place of the
 * application's, finds the services the peer address ({@code host:peerPort}) is an endpoint of and asks the
 * application's own verifier about those names; for any other host it defers to the application's verifier
 * unchanged.
 *
 * <p>Runs once per TLS handshake (connections are pooled), off the request path: scanning the services
 * the mesh knows is fine there. Reads only the runtimes' immutable snapshots.
 */
public final class MeshHostnameVerifier implements HostnameVerifier {
  private final Mesh mesh;
  private final HostnameVerifier delegate;

  public MeshHostnameVerifier(Mesh mesh, HostnameVerifier delegate) {
    this.mesh = mesh;
    this.delegate = delegate;
  }

  @Override
  public boolean verify(String host, SSLSession session) {
    int port = session.getPeerPort();
    for (ServiceRuntime rt : mesh.services()) {
      for (EndpointStats e : rt.endpoints()) {
        if (e.endpoint().port() == port && e.endpoint().host().equals(host) && delegate.verify(rt.name(), session)) {
          return true; // the certificate names the service this endpoint serves
        }
      }
    }
    return delegate.verify(host, session);
  }
}
