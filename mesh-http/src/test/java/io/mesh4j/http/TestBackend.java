package io.mesh4j.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.discovery.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP server on loopback (the JDK's), counting requests and keeping their headers. */
final class TestBackend implements AutoCloseable {
  static {
    // Without it the JDK server leaves Nagle on and small responses wait ~40 ms for a delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  @FunctionalInterface
  interface Handler {
    void handle(HttpExchange exchange) throws Exception;
  }

  final String name;
  final AtomicInteger hits = new AtomicInteger();
  /** Headers of every request received, lower-cased names. */
  final Queue<Map<String, String>> requests = new ConcurrentLinkedQueue<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  private TestBackend(String name, int port, Handler handler) throws IOException {
    this.name = name;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    server.createContext("/", exchange -> {
      hits.incrementAndGet();
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      requests.add(headers);
      try {
        handler.handle(exchange);
      } catch (Exception e) {
        respond(exchange, 500, e.toString());
      } finally {
        exchange.close();
      }
    });
    server.setExecutor(executor);
    server.start();
  }

  static TestBackend start(String name, Handler handler) throws IOException {
    return new TestBackend(name, 0, handler);
  }

  static TestBackend start(String name, int port, Handler handler) throws IOException {
    return new TestBackend(name, port, handler);
  }

  /** A backend answering 200 with its name. */
  static TestBackend ok(String name) throws IOException {
    return start(name, ex -> respond(ex, 200, name));
  }

  static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("X-Backend", body.length() < 40 ? body : "?");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(bytes);
      }
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", port());
  }

  Map<String, String> lastRequest() {
    Map<String, String> last = null;
    for (Map<String, String> r : requests) {
      last = r;
    }
    return last;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
