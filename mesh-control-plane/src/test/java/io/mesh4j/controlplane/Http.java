package io.mesh4j.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small JSON client over the JDK's HttpClient for tests. Every request has a timeout. */
public final class Http {
  public static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** A response: status, Mesh-Revision header (-1 if none), content type and JSON body (null if empty). */
  public record Reply(int status, long revision, String contentType, JsonNode json, HttpResponse<String> raw) {
    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private final URI base;
  private final String token;
  private final HttpClient client;

  public Http(URI base, String token) {
    this(base, token, CLIENT);
  }

  public Http(URI base, String token, HttpClient client) {
    this.base = base;
    this.token = token;
    this.client = client;
  }

  public Reply get(String path) {
    return send(builder(path).GET().build());
  }

  public Reply put(String path, String json) {
    return send(path, "PUT", json, null);
  }

  public Reply post(String path, String json) {
    return send(path, "POST", json, null);
  }

  public Reply delete(String path) {
    return send(path, "DELETE", null, null);
  }

  public Reply send(String path, String method, String body, String ifMatch) {
    HttpRequest.Builder b = builder(path);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return send(b.build());
  }

  /** A long-poll, answered later. */
  public CompletableFuture<Reply> getAsync(String path) {
    return client.sendAsync(builder(path).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).thenApply(Http::reply);
  }

  public HttpRequest.Builder builder(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  public Reply send(HttpRequest request) {
    try {
      return reply(client.send(request, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Reply reply(HttpResponse<String> r) {
    JsonNode json = null;
    boolean text = r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain");
    if (r.body() != null && !r.body().isEmpty() && !text) {
      try {
        json = MAPPER.readTree(r.body());
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
      }
    }
    return new Reply(r.statusCode(), r.headers().firstValueAsLong("Mesh-Revision").orElse(-1),
        r.headers().firstValue("Content-Type").orElse(null), json, r);
  }
}
