package io.mesh4j.controlplane;

import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.server.ControlPlaneServer;
import io.mesh4j.controlplane.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A real control plane on 127.0.0.1, a free port and a real SQLite file, with fixed test tokens. */
public final class TestControlPlane implements AutoCloseable {
  public static final String ADMIN = "admin-token-0123456789";
  public static final String CLIENT = "client-token-0123456789";

  public final ControlPlaneServer server;
  public final Http admin;
  public final Http client;
  public final Path dataDir;

  private TestControlPlane(ControlPlaneServer server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
    this.admin = new Http(server.uri(), ADMIN);
    this.client = new Http(server.uri(), CLIENT);
  }

  public static TestControlPlane start(Path dataDir) throws Exception {
    return start(dataDir, b -> b);
  }

  public static TestControlPlane start(Path dataDir, UnaryOperator<ServerConfig.Builder> tweak) throws Exception {
    ServerConfig.Builder b = ServerConfig.builder(dataDir).host("127.0.0.1").port(0)
        .auth(TokenAuthenticator.of(ADMIN, CLIENT)).sweepInterval(Duration.ofMillis(100))
        .shutdownTimeout(Duration.ofSeconds(5));
    return new TestControlPlane(ControlPlaneServer.start(tweak.apply(b).build()), dataDir);
  }

  public Http http(String token) {
    return new Http(server.uri(), token);
  }

  @Override
  public void close() {
    server.close();
  }
}
