package io.mesh4j.http.internal;

import java.io.IOException;
import java.net.ProtocolException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Follows redirects above the mesh's routing, so every hop to a mesh service goes through the mesh:
 * balanced, counted, under the same deadline and trace.
 *
 * <p>Why here and not in OkHttp: OkHttp follows redirects below the application's interceptors, after
 * the mesh has rewritten the URL to an endpoint's address. A relative {@code Location} then went to the
 * same IP without balancing, and {@code http://payments/...} was looked up in DNS, failed, and was
 * counted as a failure of the endpoint that had answered correctly. So the mesh client turns OkHttp's
 * own following off and this layer follows instead, with the application's settings
 * ({@code followRedirects}, {@code followSslRedirects}) and OkHttp's rules: 307/308 keep the method and
 * body, other redirects of a request with a body become a GET without it, {@code Authorization} is dropped
 * when the host changes, at most {@value #MAX_FOLLOW_UPS} follow-ups.
 *
 * <p>It sits below the tracing and deadline layers (one span and one deadline cover the whole chain of
 * hops) and above routing. The follow-up is built from the request as the application made it, so
 * nothing that belongs to a mesh hop (endpoint address, {@code Host}, {@code mesh-*} headers, trace
 * headers) is carried to an outside host: the layers below add those per hop, and only for mesh services.
 * Hosts that are not mesh services are followed the same way, since OkHttp's own following is off.
 */
public final class RedirectInterceptor implements Interceptor {
  /** OkHttp's (and Chrome's, Firefox's) limit. */
  static final int MAX_FOLLOW_UPS = 20;

  private final boolean followRedirects;
  private final boolean followSslRedirects;

  public RedirectInterceptor(boolean followRedirects, boolean followSslRedirects) {
    this.followRedirects = followRedirects;
    this.followSslRedirects = followSslRedirects;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Response response = chain.proceed(request);
    if (!followRedirects) {
      return response;
    }
    for (int followUps = 0; ; followUps++) {
      Request next = followUp(request, response);
      if (next == null) {
        return response;
      }
      if (followUps + 1 > MAX_FOLLOW_UPS) {
        response.close();
        throw new ProtocolException("Too many follow-up requests: " + (followUps + 1) + " (from "
            + chain.request().url().redact() + ")");
      }
      response.close();
      request = next;
      response = chain.proceed(request);
    }
  }

  /** The request a redirect asks for, or null when {@code response} is not one to follow. */
  private Request followUp(Request request, Response response) {
    int code = response.code();
    if (code != 300 && code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      return null;
    }
    String location = response.header("Location");
    HttpUrl url = location == null ? null : request.url().resolve(location);
    if (url == null) {
      return null; // no Location, or not HTTP(S)
    }
    if (!url.scheme().equals(request.url().scheme()) && !followSslRedirects) {
      return null;
    }
    Request.Builder b = request.newBuilder();
    String method = request.method();
    boolean keepsMethod = code == 307 || code == 308;
    if (request.body() != null || !method.equals("GET") && !method.equals("HEAD")) {
      if (keepsMethod) {
        if (request.body() != null && request.body().isOneShot()) {
          return null; // the body cannot be sent again: the application gets the redirect
        }
        b.method(method, request.body());
      } else {
        b.method("GET", null);
        b.removeHeader("Transfer-Encoding");
        b.removeHeader("Content-Length");
        b.removeHeader("Content-Type");
      }
    }
    HttpUrl from = request.url();
    if (!from.host().equals(url.host()) || from.port() != url.port() || !from.scheme().equals(url.scheme())) {
      b.removeHeader("Authorization"); // credentials stay with the host they were meant for
    }
    return b.url(url).build();
  }
}
