package io.mesh4j.http.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * A service answered a client method with a status other than 2xx. It carries the status, the
 * response headers and the first {@value #MAX_EXCERPT_BYTES} bytes of the body (as text), and its
 * message names the client method, the service and the request; the body is left out of the message
 * (it may hold data that does not belong in logs) and is read with {@link #bodyExcerpt()}.
 *
 * <p>Checked, like every failure of an HTTP call: methods declaring {@code throws IOException} throw it
 * as it is; the others throw it wrapped in a {@link MeshClientException}; futures complete with it.
 */
public class HttpStatusException extends IOException {
  private static final long serialVersionUID = 1L;
  /** The most of the body an exception keeps. */
  public static final int MAX_EXCERPT_BYTES = 4096;

  private final String clientMethod;
  private final String service;
  private final int status;
  private final transient Headers headers;
  private final String bodyExcerpt;
  private final boolean truncated;

  /**
   * @param clientMethod the client method, e.g. {@code OrdersClient.get(long)}
   * @param request      the HTTP method and path, e.g. {@code GET /orders/7}
   */
  public HttpStatusException(String clientMethod, String service, String request, int status, Headers headers,
      String bodyExcerpt, boolean truncated) {
    super(clientMethod + ": service '" + service + "' answered " + status + " to " + request);
    this.clientMethod = clientMethod;
    this.service = service;
    this.status = status;
    this.headers = Objects.requireNonNull(headers, "headers");
    this.bodyExcerpt = bodyExcerpt == null ? "" : bodyExcerpt;
    this.truncated = truncated;
  }

  /** Reads the excerpt of {@code response}'s body (the caller closes the response). */
  static HttpStatusException of(String clientMethod, String service, Response response) {
    String excerpt = "";
    boolean truncated = false;
    ResponseBody body = response.body();
    if (body != null) {
      try {
        InputStream in = body.byteStream();
        byte[] bytes = in.readNBytes(MAX_EXCERPT_BYTES + 1);
        truncated = bytes.length > MAX_EXCERPT_BYTES;
        int length = Math.min(bytes.length, MAX_EXCERPT_BYTES);
        if (truncated) {
          while (length > 0 && (bytes[length] & 0xC0) == 0x80) {
            length--; // do not cut a UTF-8 sequence in two
          }
        }
        MediaType type = body.contentType();
        Charset charset = type == null ? StandardCharsets.UTF_8 : type.charset(StandardCharsets.UTF_8);
        excerpt = new String(bytes, 0, length, charset);
      } catch (IOException | RuntimeException unreadable) {
        // The status is the news; a body that cannot be read leaves the excerpt empty.
      }
    }
    String request = response.request().method() + " " + response.request().url().encodedPath();
    return new HttpStatusException(clientMethod, service, request, response.code(), response.headers(), excerpt,
        truncated);
  }

  /** The client method that received the status, e.g. {@code OrdersClient.get(long)}. */
  public String clientMethod() {
    return clientMethod;
  }

  /** The logical service called. */
  public String service() {
    return service;
  }

  /** The HTTP status code. */
  public int status() {
    return status;
  }

  /** The response headers (empty after deserialization). */
  public Headers headers() {
    return headers == null ? Headers.of() : headers;
  }

  /** The start of the response body as text, at most {@value #MAX_EXCERPT_BYTES} bytes of it. */
  public String bodyExcerpt() {
    return bodyExcerpt;
  }

  /** Whether the body was longer than the excerpt. */
  public boolean isTruncated() {
    return truncated;
  }

  /** 4xx. */
  public boolean isClientError() {
    return status >= 400 && status < 500;
  }

  /** 5xx. */
  public boolean isServerError() {
    return status >= 500 && status < 600;
  }
}
