package io.mesh4j.controlplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** meshctl's HTTP: the JDK client, bearer token, JSON in and out, problems turned into {@link ApiException}. */
final class ApiClient {
  static final ObjectMapper MAPPER = new ObjectMapper();

  /** A response: status, revision header and parsed JSON body (null for 304 / empty). */
  record Reply(int status, long revision, JsonNode body) {}

  private final HttpClient http;
  private final URI base;
  private final String token;

  ApiClient(URI base, String token) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String b = base.toString();
    this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
    this.token = token;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  Reply get(String path, Duration timeout) {
    return send(request(path, timeout).GET().build());
  }

  Reply send(String method, String path, String body, String ifMatch) {
    HttpRequest.Builder b = request(path, Duration.ofSeconds(30));
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return send(b.build());
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
        .header("Accept", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Reply send(HttpRequest request) {
    HttpResponse<byte[]> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new ApiException("cannot reach " + base + ": connection refused");
    } catch (HttpTimeoutException e) {
      throw new ApiException("no answer from " + base + " in time");
    } catch (IOException e) {
      throw new ApiException("cannot reach " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException("interrupted");
    }
    long revision = r.headers().firstValueAsLong("Mesh-Revision").orElse(-1);
    JsonNode body = null;
    if (r.body().length > 0) {
      try {
        body = MAPPER.readTree(r.body());
      } catch (IOException e) {
        throw new ApiException("HTTP " + r.statusCode() + " with a body that is not JSON from " + base);
      }
    }
    if (r.statusCode() >= 400) {
      throw ApiException.fromProblem(r.statusCode(), body);
    }
    return new Reply(r.statusCode(), revision, body);
  }
}
