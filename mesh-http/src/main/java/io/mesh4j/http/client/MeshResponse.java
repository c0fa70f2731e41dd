package io.mesh4j.http.client;

import java.util.Objects;
import okhttp3.Headers;

/**
 * A response with its status and headers, for client methods that need more than the body:
 * {@code MeshResponse<Order>}, {@code CompletableFuture<MeshResponse<Void>>}.
 *
 * <p>Unlike a method returning the body alone, a method returning {@code MeshResponse} does not throw
 * on a non-2xx status: it returns the response with a null body and the {@link #error()} a body-only
 * method would have thrown (status, headers and a bounded excerpt of the body), so that the caller can
 * branch on the status ({@code 404 -> empty}). Failures without a response (no endpoint, deadline
 * passed, connection reset) are still thrown.
 *
 * @param <T> the body type
 */
public final class MeshResponse<T> {
  private final int status;
  private final Headers headers;
  private final T body;
  private final HttpStatusException error;

  private MeshResponse(int status, Headers headers, T body, HttpStatusException error) {
    this.status = status;
    this.headers = Objects.requireNonNull(headers, "headers");
    this.body = body;
    this.error = error;
  }

  /** A successful response (for tests and fakes of client interfaces). */
  public static <T> MeshResponse<T> of(int status, Headers headers, T body) {
    if (status < 200 || status > 299) {
      throw new IllegalArgumentException("status: " + status + " (expected: 2xx; use failed() for others)");
    }
    return new MeshResponse<>(status, headers, body, null);
  }

  /** A non-2xx response, carrying the exception a body-only method would have thrown. */
  public static <T> MeshResponse<T> failed(HttpStatusException error) {
    return new MeshResponse<>(error.status(), error.headers(), null, error);
  }

  /** The HTTP status code. */
  public int status() {
    return status;
  }

  /** Whether the status is 2xx. */
  public boolean isSuccessful() {
    return error == null;
  }

  public Headers headers() {
    return headers;
  }

  /** The last value of header {@code name}, or null. */
  public String header(String name) {
    return headers.get(name);
  }

  /** The decoded body; null for a non-2xx status, an empty body, HEAD and {@code Void}. */
  public T body() {
    return body;
  }

  /** The body of a 2xx response; for any other status, throws {@link #error()}. */
  public T bodyOrThrow() throws HttpStatusException {
    if (error != null) {
      throw error;
    }
    return body;
  }

  /** Status, headers and body excerpt of a non-2xx response; null when the status is 2xx. */
  public HttpStatusException error() {
    return error;
  }

  @Override
  public String toString() {
    return "MeshResponse{status=" + status + (error == null ? ", body=" + body : ", error=" + error.getMessage()) + "}";
  }
}
