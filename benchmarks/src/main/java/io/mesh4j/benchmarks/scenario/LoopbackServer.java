package io.mesh4j.benchmarks.scenario;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.discovery.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One JDK {@link HttpServer} on 127.0.0.1 (ephemeral port) with its own handler threads, counting the
 * requests it receives. The scenarios' backends and intermediate services are all made of these.
 *
 * <p>Handler threads come from a cached pool: a handler may sleep (simulated service time) or block on
 * a downstream call, so the pool must grow with the number of requests in flight; that number is
 * bounded by the load generator's workers (a closed loop), not by the pool.
 */
final class LoopbackServer implements AutoCloseable {
  static {
    // Read once when the server classes load. Without TCP_NODELAY the server writes headers and body
    // in two segments and Nagle + delayed ACK add ~40 ms per exchange.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  final String name;
  final HttpServer server;
  final ExecutorService threads;
  /** Requests that reached the handler. */
  final LongAdder received = new LongAdder();

  private LoopbackServer(String name, HttpHandler handler) throws IOException {
    this.name = name;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    server.createContext("/", exchange -> {
      received.increment();
      handler.handle(exchange);
    });
    AtomicInteger n = new AtomicInteger();
    threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.start();
  }

  static LoopbackServer start(String name, HttpHandler handler) throws IOException {
    return new LoopbackServer(name, handler);
  }

  int port() {
    return server.getAddress().getPort();
  }

  Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", port());
  }

  long received() {
    return received.sum();
  }

  /** Sends {@code status} with a small text body and closes the exchange. */
  static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
