package io.mesh4j.controlplane.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The floor for {@link WatcherBenchmark}: Jetty alone, same thread pool and connector settings, holding
 * every GET and answering all of them with one fixed body on any PUT (no auth, no parsing, no store, no
 * timeouts, no index). What the control plane costs beyond this is its own. Comparison only:
 *
 * <pre>
 * ./mvnw -B -q -pl mesh-control-plane exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.mesh4j.controlplane.bench.WatcherBenchmark -Dexec.args="10000" \
 *     "-Dbench.launch=-cp $(cat cp.txt) io.mesh4j.controlplane.bench.BareJettyLongPoll"
 * </pre>
 */
public final class BareJettyLongPoll {
  private record Held(Response response, Callback callback) {}

  public static void main(String[] args) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(16, 16);
    Server server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setHeaderCacheSize(0);
    http.setIdleTimeout(600_000);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setAcceptQueueSize(4096);
    connector.setIdleTimeout(600_000);
    server.addConnector(connector);
    ConcurrentLinkedQueue<Held> held = new ConcurrentLinkedQueue<>();
    AtomicLong revision = new AtomicLong(1);
    server.setHandler(new Handler.Abstract(InvocationType.NON_BLOCKING) {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        if (Request.getPathInContext(request).equals("/v1/health")) {
          response.write(true, ByteBuffer.wrap(("{\"watchers\":" + held.size() + "}").getBytes(StandardCharsets.UTF_8)),
              callback);
          return true;
        }
        if (!request.getMethod().equals("PUT")) {
          held.add(new Held(response, callback));
          return true;
        }
        long r = revision.incrementAndGet();
        byte[] body = ("{\"revision\":" + r + ",\"services\":{\"bench\":{\"policy\":{\"timeouts\":{\"total\":\"1000ms\"}},"
            + "\"policyRevision\":" + r + ",\"endpoints\":[],\"endpointsRevision\":0}}}").getBytes(StandardCharsets.UTF_8);
        List<Held> all = new ArrayList<>();
        for (Held h; (h = held.poll()) != null; ) {
          all.add(h);
        }
        int half = all.size() / 2;
        for (List<Held> part : List.of(all.subList(0, half), all.subList(half, all.size()))) {
          pool.execute(() -> {
            for (Held h : part) {
              h.response().setStatus(200);
              h.response().getHeaders().put("Content-Type", "application/json");
              h.response().getHeaders().put("Mesh-Revision", Long.toString(r));
              h.response().write(true, ByteBuffer.wrap(body), h.callback());
            }
          });
        }
        response.write(true, ByteBuffer.wrap(("{\"revision\":" + r + "}").getBytes(StandardCharsets.UTF_8)), callback);
        return true;
      }
    });
    server.start();
    System.out.println("listening on http://127.0.0.1:" + connector.getLocalPort());
    server.join();
  }
}
