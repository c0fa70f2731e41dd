package io.mesh4j.benchmarks;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An in-process JDK HTTP server on 127.0.0.1 (ephemeral port) answering {@code GET /ping} with a
 * fixed 4-byte body, a bare {@link OkHttpClient}, and the mesh client built on it with
 * {@link MeshOkHttp#client} (so both share one connection pool and dispatcher). Shared by
 * {@link MeshOverheadBenchmark} and {@link AllocationProbe}.
 */
final class LoopbackFixture implements AutoCloseable {
  static final byte[] BODY = "pong".getBytes(StandardCharsets.US_ASCII);
  static final String SERVICE = "backend";

  final HttpServer server;
  final ExecutorService serverThreads;
  final Mesh mesh;
  final OkHttpClient bareClient;
  final OkHttpClient meshClient;
  /** {@code http://127.0.0.1:PORT/ping}: the bare call, and the non-mesh host through the mesh client. */
  final Request bareRequest;
  /** {@code http://backend/ping}: resolved by the mesh to 127.0.0.1:PORT. */
  final Request meshRequest;

  LoopbackFixture() throws IOException {
    // Without TCP_NODELAY on the server's sockets, Nagle + delayed ACK add ~40 ms per exchange
    // (headers and body are written separately). Read once when the server classes load: set first.
    server = startServer("/ping", "text/plain", BODY);
    serverThreads = (ExecutorService) server.getExecutor();
    int port = server.getAddress().getPort();

    // No OpenTelemetry SDK: the no-op API, as for an application using neither tracing nor metrics.
    mesh = Mesh.builder()
        .discovery(StaticDiscovery.of(SERVICE, List.of(Endpoint.of("127.0.0.1", port))))
        .openTelemetry(OpenTelemetry.noop())
        .build();
    bareClient = new OkHttpClient();
    meshClient = MeshOkHttp.client(mesh, bareClient);
    bareRequest = new Request.Builder().url("http://127.0.0.1:" + port + "/ping").build();
    meshRequest = new Request.Builder().url("http://" + SERVICE + "/ping").build();

    // Fail fast rather than measure an error path; this also opens the pooled connection.
    check(bareClient, bareRequest);
    check(meshClient, meshRequest);
    check(meshClient, bareRequest);
  }

  /**
   * A JDK HTTP server on 127.0.0.1 answering every request under {@code path} with {@code body}, on two
   * daemon threads (its executor, an {@link ExecutorService}: shut it down after {@code stop}).
   */
  static HttpServer startServer(String path, String contentType, byte[] body) throws IOException {
    // Without TCP_NODELAY on the server's sockets, Nagle + delayed ACK add ~40 ms per exchange
    // (headers and body are written separately). Read once when the server classes load: set first.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(path, exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "bench-server");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return server;
  }

  /** Executes {@code request}, reads the body fully and closes the response. */
  static byte[] call(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      return r.body().bytes();
    }
  }

  private static void check(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      byte[] body = r.body().bytes();
      if (r.code() != 200 || !Arrays.equals(body, BODY)) {
        throw new IllegalStateException(request.url() + ": HTTP " + r.code() + ", body "
            + new String(body, StandardCharsets.US_ASCII));
      }
    }
  }

  @Override
  public void close() {
    mesh.close();
    bareClient.dispatcher().executorService().shutdown();
    bareClient.connectionPool().evictAll();
    server.stop(0);
    serverThreads.shutdownNow();
  }
}
