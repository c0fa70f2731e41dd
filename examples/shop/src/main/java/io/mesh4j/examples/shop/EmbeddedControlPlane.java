package io.mesh4j.examples.shop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.server.ControlPlaneServer;
import io.mesh4j.controlplane.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The control plane, in this JVM: {@link ControlPlaneServer} on 127.0.0.1 with its embedded SQLite store
 * in a temporary directory, and the two calls of its admin API the demo makes (put a policy, roll one
 * back), over plain HTTP as an operator or {@code meshctl} would. It can be stopped and started again on
 * the same port and store.
 */
final class EmbeddedControlPlane implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dataDir;
  private final String adminToken = randomToken();
  private final String clientToken = randomToken();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile ControlPlaneServer server;
  private volatile URI uri;

  private EmbeddedControlPlane(Path dataDir) {
    this.dataDir = dataDir;
  }

  static EmbeddedControlPlane start(Path dataDir) throws Exception {
    EmbeddedControlPlane cp = new EmbeddedControlPlane(dataDir);
    cp.server = ControlPlaneServer.start(cp.config(0));
    cp.uri = cp.server.uri();
    return cp;
  }

  private ServerConfig config(int port) {
    return ServerConfig.builder(dataDir).host("127.0.0.1").port(port)
        .auth(TokenAuthenticator.of(adminToken, clientToken))
        .sweepInterval(Duration.ofMillis(250))
        .shutdownTimeout(Duration.ofSeconds(2))
        .build();
  }

  /** {@code http://127.0.0.1:PORT}: the same across a stop and a start. */
  URI uri() {
    return uri;
  }

  /** What services send to watch and register (the admin token stays here). */
  String clientToken() {
    return clientToken;
  }

  /**
   * The edges the control plane has seen in the clients' traffic reports over the last 10 minutes, as
   * {@code "from->to"} to the attempts counted; empty while it is stopped.
   */
  java.util.Map<String, Long> edges() {
    ControlPlaneServer s = server;
    java.util.Map<String, Long> edges = new java.util.TreeMap<>();
    if (s != null) {
      for (var e : s.reports().topology(Duration.ofMinutes(10)).edges()) {
        edges.put(e.from() + "->" + e.to(), e.attempts());
      }
    }
    return edges;
  }

  boolean isRunning() {
    return server != null;
  }

  /** Stops the control plane gracefully (held watches answered, store closed). */
  synchronized void stop() {
    ControlPlaneServer s = server;
    server = null;
    if (s != null) {
      s.close();
    }
  }

  /** Starts it again on the same port with the same store. */
  synchronized void restart() throws Exception {
    if (server == null) {
      server = ControlPlaneServer.start(config(uri.getPort()));
    }
  }

  /** {@code PUT /v1/services/{service}/policy}; returns the new revision. */
  long putPolicy(String service, String policyJson) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri.resolve("/v1/services/" + service + "/policy"))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(policyJson))).path("revision").asLong();
  }

  /** {@code POST /v1/services/{service}/policy/rollback?revision=R}: R's policy again, as a new revision. */
  long rollback(String service, long revision) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri.resolve("/v1/services/" + service + "/policy/rollback?revision=" + revision))
        .POST(HttpRequest.BodyPublishers.noBody())).path("revision").asLong();
  }

  private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request.header("Authorization", "Bearer " + adminToken)
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("control plane answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  @Override
  public void close() {
    stop();
  }

  private static String randomToken() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
