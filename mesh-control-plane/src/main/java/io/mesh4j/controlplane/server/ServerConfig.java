package io.mesh4j.controlplane.server;

import io.mesh4j.controlplane.auth.TokenAuthenticator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run a control plane. Immutable; built with {@link #builder(Path)}.
 *
 * @param host              address to bind; {@code 0.0.0.0} for every interface
 * @param port              TCP port; 0 picks a free one
 * @param dataDir           where the SQLite store lives
 * @param auth              the token check (or {@link TokenAuthenticator#disabled()})
 * @param keystore          PKCS12/JKS keystore for HTTPS, or null for plain HTTP
 * @param keystorePassword  its password
 * @param defaultWait       a watch's {@code wait} when the request gives none
 * @param maxWait           the longest {@code wait} accepted
 * @param sweepInterval     how often expired instances are removed
 * @param maxBodyBytes      the largest request body accepted
 * @param maxThreads        the HTTP thread pool's size; does not need to grow with watchers
 * @param shutdownTimeout   how long a graceful stop waits for requests in flight
 * @param staleGrace        how long a reporting client may run a policy behind the current one before
 *                          {@code /v1/clients} marks it stale
 * @param maxConnectionsPerAddress open connections allowed from one client address (more are closed as
 *                          soon as accepted); 0 for no cap
 * @param firstRequestTimeout how long a new connection has to send its first request line and headers
 *                          before it is closed; zero for no deadline
 * @param trustDomain       the SPIFFE trust domain of the workload certificates the control plane issues
 * @param certificateTtl    the longest (and default) lifetime of an issued workload certificate
 */
public record ServerConfig(String host, int port, Path dataDir, TokenAuthenticator auth, Path keystore,
    String keystorePassword, Duration defaultWait, Duration maxWait, Duration sweepInterval, int maxBodyBytes,
    int maxThreads, Duration shutdownTimeout, Duration staleGrace, int maxConnectionsPerAddress,
    Duration firstRequestTimeout, String trustDomain, Duration certificateTtl) {

  public static final int DEFAULT_PORT = 8500;
  public static final int DEFAULT_MAX_BODY_BYTES = 256 * 1024;
  /** Open connections allowed from one client address by default. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1024;
  /** How long a new connection has by default to send its first request's headers. */
  public static final Duration DEFAULT_FIRST_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** The trust domain by default: {@code spiffe://mesh.local/service/<name>}. */
  public static final String DEFAULT_TRUST_DOMAIN = "mesh.local";
  /** Workload certificates live this long by default. */
  public static final Duration DEFAULT_CERTIFICATE_TTL = Duration.ofHours(24);

  /** The configuration before connection limits, with their defaults. */
  public ServerConfig(String host, int port, Path dataDir, TokenAuthenticator auth, Path keystore,
      String keystorePassword, Duration defaultWait, Duration maxWait, Duration sweepInterval, int maxBodyBytes,
      int maxThreads, Duration shutdownTimeout, Duration staleGrace) {
    this(host, port, dataDir, auth, keystore, keystorePassword, defaultWait, maxWait, sweepInterval, maxBodyBytes,
        maxThreads, shutdownTimeout, staleGrace, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_FIRST_REQUEST_TIMEOUT,
        DEFAULT_TRUST_DOMAIN, DEFAULT_CERTIFICATE_TTL);
  }

  public ServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(auth, "auth");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
    }
    if (defaultWait.isNegative() || defaultWait.compareTo(maxWait) > 0) {
      throw new IllegalArgumentException("defaultWait: " + defaultWait + " (expected: 0.." + maxWait + ")");
    }
    if (maxWait.compareTo(Duration.ofMinutes(6)) > 0) {
      throw new IllegalArgumentException("maxWait: " + maxWait + " (expected: at most 6 minutes)");
    }
    if (staleGrace == null || staleGrace.isNegative()) {
      throw new IllegalArgumentException("staleGrace: " + (staleGrace == null ? "missing" : staleGrace)
          + " (expected: a duration >= 0)");
    }
    if (maxConnectionsPerAddress < 0) {
      throw new IllegalArgumentException("maxConnectionsPerAddress: " + maxConnectionsPerAddress
          + " (expected: >= 1, or 0 for no cap)");
    }
    if (firstRequestTimeout == null || firstRequestTimeout.isNegative()) {
      throw new IllegalArgumentException("firstRequestTimeout: " + (firstRequestTimeout == null ? "missing"
          : firstRequestTimeout) + " (expected: a duration > 0, or 0 for no deadline)");
    }
    io.mesh4j.controlplane.ca.CertificateAuthority.check(trustDomain, certificateTtl);
    if (maxThreads < 4) {
      throw new IllegalArgumentException("maxThreads: " + maxThreads + " (expected: >= 4)");
    }
  }

  @Override
  public String toString() {
    // Never show secrets.
    return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", auth=" + auth
        + ", tls=" + (keystore != null) + "]";
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Builds a {@link ServerConfig}; every value but the data directory has a default. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = DEFAULT_PORT;
    private final Path dataDir;
    private TokenAuthenticator auth = TokenAuthenticator.disabled();
    private Path keystore;
    private String keystorePassword;
    private Duration defaultWait = Duration.ofSeconds(30);
    private Duration maxWait = Duration.ofMinutes(5);
    private Duration sweepInterval = Duration.ofMillis(500);
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxThreads = 16;
    private Duration shutdownTimeout = Duration.ofSeconds(10);
    private Duration staleGrace = Duration.ofSeconds(30);
    private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    private Duration firstRequestTimeout = DEFAULT_FIRST_REQUEST_TIMEOUT;
    private String trustDomain = DEFAULT_TRUST_DOMAIN;
    private Duration certificateTtl = DEFAULT_CERTIFICATE_TTL;

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    public Builder host(String value) {
      host = value;
      return this;
    }

    public Builder port(int value) {
      port = value;
      return this;
    }

    public Builder auth(TokenAuthenticator value) {
      auth = value;
      return this;
    }

    public Builder tls(Path keystorePath, String password) {
      keystore = keystorePath;
      keystorePassword = password;
      return this;
    }

    public Builder defaultWait(Duration value) {
      defaultWait = value;
      return this;
    }

    public Builder maxWait(Duration value) {
      maxWait = value;
      return this;
    }

    public Builder sweepInterval(Duration value) {
      sweepInterval = value;
      return this;
    }

    public Builder maxBodyBytes(int value) {
      maxBodyBytes = value;
      return this;
    }

    public Builder maxThreads(int value) {
      maxThreads = value;
      return this;
    }

    public Builder shutdownTimeout(Duration value) {
      shutdownTimeout = value;
      return this;
    }

    /** How long a reporting client may run a policy behind the current one before it is stale (default 30 s). */
    public Builder staleGrace(Duration value) {
      staleGrace = value;
      return this;
    }

    /**
     * Open connections allowed from one client address (default 1,024); more are closed as soon as they are
     * accepted. 0 for no cap (a load test holding more watches than that from one host).
     */
    public Builder maxConnectionsPerAddress(int value) {
      maxConnectionsPerAddress = value;
      return this;
    }

    /**
     * How long a new connection has to send its first request line and headers, TLS handshake included
     * (default 10 s), before it is closed. Zero for no deadline.
     */
    public Builder firstRequestTimeout(Duration value) {
      firstRequestTimeout = value;
      return this;
    }

    /** The SPIFFE trust domain of issued workload certificates (default {@code mesh.local}). */
    public Builder trustDomain(String value) {
      trustDomain = value;
      return this;
    }

    /** The longest (and default) lifetime of an issued workload certificate (default 24 h; 10 s to 30 days). */
    public Builder certificateTtl(Duration value) {
      certificateTtl = value;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(host, port, dataDir, auth, keystore, keystorePassword, defaultWait, maxWait,
          sweepInterval, maxBodyBytes, maxThreads, shutdownTimeout, staleGrace, maxConnectionsPerAddress,
          firstRequestTimeout, trustDomain, certificateTtl);
    }
  }
}
