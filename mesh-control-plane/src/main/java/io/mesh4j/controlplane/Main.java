package io.mesh4j.controlplane;

import io.mesh4j.controlplane.auth.TokenAuthenticator;
import io.mesh4j.controlplane.cli.Meshctl;
import io.mesh4j.controlplane.server.ControlPlaneServer;
import io.mesh4j.controlplane.server.ServerConfig;
import io.mesh4j.controlplane.store.StoreException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The jar's entry point: {@code serve} (the default) runs the control plane; {@code meshctl} runs the CLI.
 *
 * <pre>
 * java -jar mesh-control-plane.jar [serve] --port 8500 --data-dir ./mesh-cp-data \
 *     --admin-token-file admin.token --client-token-file client.token [--tokens-file tokens.json]
 * java -jar mesh-control-plane.jar meshctl --url http://127.0.0.1:8500 --token ... get orders
 * </pre>
 *
 * <p>Every option can also come from the environment ({@code MESH_CP_PORT}, {@code MESH_CP_DATA_DIR},
 * {@code MESH_CP_ADMIN_TOKEN}, ...). Tokens are best passed in files or the environment: a command line
 * is visible to every user of the machine.
 */
@Command(name = "mesh-control-plane", mixinStandardHelpOptions = true, version = "mesh-control-plane 0.1.0",
    sortOptions = false, usageHelpAutoWidth = true,
    description = "Runs the Mesh4j control plane: policies and endpoints pushed to mesh clients over HTTP"
        + " long-poll, stored in SQLite.",
    footer = {"", "CLI: java -jar mesh-control-plane.jar meshctl --help",
        "Exit codes: 0 stopped cleanly, 1 could not start, 2 bad usage."})
public final class Main implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "${env:MESH_CP_HOST:-0.0.0.0}",
      description = "Address to bind (env MESH_CP_HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "${env:MESH_CP_PORT:-8500}",
      description = "TCP port; 0 picks a free one (env MESH_CP_PORT, default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data-dir", defaultValue = "${env:MESH_CP_DATA_DIR:-./mesh-cp-data}",
      description = "Directory of the SQLite store (env MESH_CP_DATA_DIR, default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--admin-token", defaultValue = "${env:MESH_CP_ADMIN_TOKEN}", arity = "1",
      description = "Token for policy writes (env MESH_CP_ADMIN_TOKEN).")
  String adminToken;

  @Option(names = "--admin-token-file", defaultValue = "${env:MESH_CP_ADMIN_TOKEN_FILE}",
      description = "File holding the admin token (env MESH_CP_ADMIN_TOKEN_FILE).")
  Path adminTokenFile;

  @Option(names = "--client-token", defaultValue = "${env:MESH_CP_CLIENT_TOKEN}", arity = "1",
      description = "Token for watch, reads and the registry (env MESH_CP_CLIENT_TOKEN).")
  String clientToken;

  @Option(names = "--client-token-file", defaultValue = "${env:MESH_CP_CLIENT_TOKEN_FILE}",
      description = "File holding the client token (env MESH_CP_CLIENT_TOKEN_FILE).")
  Path clientTokenFile;

  @Option(names = "--tokens-file", defaultValue = "${env:MESH_CP_TOKENS_FILE}",
      description = "JSON file of named tokens: admin, read-only, and client tokens scoped to services; re-read"
          + " when it changes (env MESH_CP_TOKENS_FILE).")
  Path tokensFile;

  @Option(names = "--no-auth", description = "Accept requests without tokens (development only).")
  boolean noAuth;

  @Option(names = "--keystore", defaultValue = "${env:MESH_CP_KEYSTORE}",
      description = "PKCS12 or JKS keystore: serve HTTPS (env MESH_CP_KEYSTORE).")
  Path keystore;

  @Option(names = "--keystore-password", defaultValue = "${env:MESH_CP_KEYSTORE_PASSWORD}", arity = "1",
      description = "The keystore's password (env MESH_CP_KEYSTORE_PASSWORD).")
  String keystorePassword;

  @Option(names = "--max-threads", defaultValue = "${env:MESH_CP_MAX_THREADS:-16}",
      description = "HTTP worker threads; held watches need none (default ${DEFAULT-VALUE}).")
  int maxThreads;

  @Option(names = "--max-connections-per-address",
      defaultValue = "${env:MESH_CP_MAX_CONNECTIONS_PER_ADDRESS:-1024}",
      description = "Open connections allowed from one client address; more are closed when accepted. 0: no cap"
          + " (env MESH_CP_MAX_CONNECTIONS_PER_ADDRESS, default ${DEFAULT-VALUE}).")
  int maxConnectionsPerAddress;

  @Option(names = "--first-request-timeout", defaultValue = "${env:MESH_CP_FIRST_REQUEST_TIMEOUT:-10s}",
      description = "How long a new connection has to send its first request line and headers, e.g. 10s or"
          + " 500ms; 0s: no deadline (env MESH_CP_FIRST_REQUEST_TIMEOUT, default ${DEFAULT-VALUE}).")
  String firstRequestTimeout;

  @Option(names = "--trust-domain", defaultValue = "${env:MESH_CP_TRUST_DOMAIN:-mesh.local}",
      description = "SPIFFE trust domain of issued workload certificates: spiffe://<domain>/service/<name> (env"
          + " MESH_CP_TRUST_DOMAIN, default ${DEFAULT-VALUE}).")
  String trustDomain;

  @Option(names = "--certificate-ttl", defaultValue = "${env:MESH_CP_CERTIFICATE_TTL:-24h}",
      description = "Longest (and default) lifetime of an issued workload certificate, 10s..30d (env"
          + " MESH_CP_CERTIFICATE_TTL, default ${DEFAULT-VALUE}).")
  String certificateTtl;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the jar's command line and returns the exit code (serve returns when the process is stopped). */
  public static int run(String... args) {
    if (args.length > 0 && args[0].equals("meshctl")) {
      return Meshctl.run(Arrays.copyOfRange(args, 1, args.length));
    }
    String[] rest = args.length > 0 && args[0].equals("serve") ? Arrays.copyOfRange(args, 1, args.length) : args;
    return new CommandLine(new Main()).execute(rest);
  }

  @Override
  public Integer call() throws Exception {
    TokenAuthenticator auth;
    try {
      auth = authenticator();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (keystore != null && keystorePassword == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--keystore needs --keystore-password");
    }
    if (maxConnectionsPerAddress < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-connections-per-address: "
          + maxConnectionsPerAddress + " (expected: >= 1, or 0 for no cap)");
    }
    ServerConfig config;
    try {
      config = ServerConfig.builder(dataDir).host(host).port(port).auth(auth)
          .tls(keystore, keystorePassword).maxThreads(maxThreads)
          .maxConnectionsPerAddress(maxConnectionsPerAddress)
          .firstRequestTimeout(duration("--first-request-timeout", firstRequestTimeout))
          .trustDomain(trustDomain).certificateTtl(duration("--certificate-ttl", certificateTtl)).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    ControlPlaneServer cp;
    try {
      cp = ControlPlaneServer.start(config);
    } catch (StoreException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    } catch (IllegalStateException | java.io.UncheckedIOException e) {
      System.err.println("error: " + e.getMessage()); // the certificate authority's files
      return 1;
    } catch (IOException e) {
      System.err.println("error: cannot listen on " + host + ":" + port + ": " + e.getMessage());
      return 1;
    }
    if (!auth.isEnabled()) {
      System.err.println("WARNING: --no-auth: anyone who can reach " + cp.uri() + " can change policies and"
          + " register instances of any service (no certificates are issued without tokens)");
    }
    // Printed for scripts and tests that start the control plane on port 0.
    System.out.println("mesh-control-plane listening on " + cp.uri());
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      cp.close();
      stopped.countDown();
    }, "cp-shutdown"));
    stopped.await();
    return 0;
  }

  private static java.time.Duration duration(String option, String text) {
    try {
      return io.mesh4j.policy.Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage()
          + " (expected: a duration such as 10s or 500ms, or 0s)");
    }
  }

  private TokenAuthenticator authenticator() {
    boolean anyToken = adminToken != null || adminTokenFile != null || clientToken != null || clientTokenFile != null
        || tokensFile != null;
    if (noAuth) {
      if (anyToken) {
        throw new IllegalArgumentException("--no-auth and tokens: give one or the other");
      }
      return TokenAuthenticator.disabled();
    }
    if (adminToken != null && adminTokenFile != null) {
      throw new IllegalArgumentException("--admin-token and --admin-token-file: give one of them");
    }
    if (clientToken != null && clientTokenFile != null) {
      throw new IllegalArgumentException("--client-token and --client-token-file: give one of them");
    }
    boolean admin = notBlank(adminToken) || adminTokenFile != null;
    boolean client = notBlank(clientToken) || clientTokenFile != null;
    if (tokensFile == null && (!admin || !client)) {
      throw new IllegalArgumentException("an admin and a client token are required (--admin-token[-file],"
          + " --client-token[-file] or MESH_CP_ADMIN_TOKEN / MESH_CP_CLIENT_TOKEN), or a --tokens-file, or"
          + " --no-auth for development");
    }
    TokenAuthenticator.Builder b = TokenAuthenticator.builder();
    if (notBlank(adminToken)) {
      b.adminToken(adminToken);
    } else if (adminTokenFile != null) {
      b.adminTokenFile(adminTokenFile);
    }
    if (notBlank(clientToken)) {
      b.clientToken(clientToken);
    } else if (clientTokenFile != null) {
      b.clientTokenFile(clientTokenFile);
    }
    if (tokensFile != null) {
      b.tokensFile(tokensFile);
    }
    return b.build();
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
