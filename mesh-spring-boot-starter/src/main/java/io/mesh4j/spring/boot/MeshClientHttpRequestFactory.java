package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.AbstractBufferingClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A {@link ClientHttpRequestFactory} for Spring's {@code RestClient} (and the {@code @HttpExchange}
 * interfaces built on it) that sends requests to mesh services ({@link Mesh#handles(String)} of the
 * URI's host) through the mesh's {@link OkHttpClient}, so they get discovery, load balancing, retries,
 * timeouts and the mesh headers; every other request goes to the delegate factory unchanged.
 *
 * <p>Mesh requests are buffered (the body is sent as one byte array), which is what lets the mesh
 * retry them.
 */
public final class MeshClientHttpRequestFactory implements ClientHttpRequestFactory {
  /** Headers OkHttp computes itself from the body and the URL. */
  private static final Set<String> SKIPPED = Set.of("content-length", "transfer-encoding", "host", "connection");

  private final Mesh mesh;
  private final OkHttpClient meshClient;
  private final ClientHttpRequestFactory delegate;

  /**
   * @param mesh decides which hosts are mesh services
   * @param meshClient the mesh-enabled client (the {@code meshOkHttpClient} bean)
   * @param delegate for every other host
   */
  public MeshClientHttpRequestFactory(Mesh mesh, OkHttpClient meshClient, ClientHttpRequestFactory delegate) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.meshClient = Objects.requireNonNull(meshClient, "meshClient");
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The factory used for hosts that are not mesh services. */
  public ClientHttpRequestFactory delegate() {
    return delegate;
  }

  @Override
  public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) throws IOException {
    String host = uri.getHost();
    if (host != null && mesh.handles(host)) {
      return new MeshRequest(meshClient, uri, httpMethod);
    }
    return delegate.createRequest(uri, httpMethod);
  }

  @Override
  public String toString() {
    return "MeshClientHttpRequestFactory[delegate=" + delegate + "]";
  }

  private static final class MeshRequest extends AbstractBufferingClientHttpRequest {
    private final OkHttpClient client;
    private final URI uri;
    private final HttpMethod method;

    MeshRequest(OkHttpClient client, URI uri, HttpMethod method) {
      this.client = client;
      this.uri = uri;
      this.method = method;
    }

    @Override
    public HttpMethod getMethod() {
      return method;
    }

    @Override
    public URI getURI() {
      return uri;
    }

    @Override
    protected ClientHttpResponse executeInternal(HttpHeaders headers, byte[] bufferedOutput) throws IOException {
      Request.Builder b = new Request.Builder().url(uri.toString());
      headers.forEach((name, values) -> {
        if (!SKIPPED.contains(name.toLowerCase(Locale.ROOT))) {
          for (String value : values) {
            b.addHeader(name, value);
          }
        }
      });
      String m = method.name();
      RequestBody body = null;
      if (bufferedOutput.length > 0 || requiresBody(m)) {
        // No media type here: the Content-Type header, copied above, is sent as it is.
        body = RequestBody.create(bufferedOutput, null);
      }
      b.method(m, body);
      Call call = client.newCall(b.build());
      return new MeshResponse(call.execute());
    }

    private static boolean requiresBody(String method) {
      return method.equals("POST") || method.equals("PUT") || method.equals("PATCH")
          || method.equals("PROPPATCH") || method.equals("REPORT");
    }
  }

  private static final class MeshResponse implements ClientHttpResponse {
    private final Response response;
    private HttpHeaders headers;

    MeshResponse(Response response) {
      this.response = response;
    }

    @Override
    public HttpStatusCode getStatusCode() {
      return HttpStatusCode.valueOf(response.code());
    }

    @Override
    public String getStatusText() {
      return response.message();
    }

    @Override
    public HttpHeaders getHeaders() {
      if (headers == null) {
        HttpHeaders h = new HttpHeaders();
        for (String name : response.headers().names()) {
          List<String> values = response.headers(name);
          h.addAll(name, values);
        }
        headers = HttpHeaders.readOnlyHttpHeaders(h);
      }
      return headers;
    }

    @Override
    public InputStream getBody() {
      ResponseBody body = response.body();
      return body.byteStream();
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
