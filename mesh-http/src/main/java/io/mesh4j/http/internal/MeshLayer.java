package io.mesh4j.http.internal;

import io.mesh4j.Mesh;
import io.mesh4j.MeshClosedException;
import java.io.IOException;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A layer of the mesh's request path: it acts on calls to mesh services only, and every other host
 * ({@code api.example.com}, an IP address) passes through untouched.
 */
public abstract class MeshLayer implements Interceptor {
  protected final Mesh mesh;

  protected MeshLayer(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  @Override
  public final Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    // "orders." is the fully-qualified spelling of "orders": the same service, not a DNS name to look up.
    String service = io.mesh4j.discovery.ServiceNames.ofHost(request.url().host());
    if (!mesh.handles(service)) {
      return chain.proceed(request);
    }
    if (mesh.isClosed()) {
      throw new MeshClosedException(service); // a typed IOException: also what enqueue's onFailure gets
    }
    return intercept(chain, request, service);
  }

  /** Handles a call to the mesh service {@code service} (the request's host). */
  protected abstract Response intercept(Chain chain, Request request, String service) throws IOException;
}
