package io.mesh4j.controlplane.server;

import io.mesh4j.controlplane.registry.Registry;
import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.controlplane.report.EventJournal;
import io.mesh4j.controlplane.report.ReportBook;
import io.mesh4j.controlplane.store.SqliteStore;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.controlplane.watch.WatchHub;
import io.mesh4j.controlplane.watch.WatchTimeouts;
import io.mesh4j.time.Ticker;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running control plane: store, registry, watch hub and the HTTP(S) server, wired together.
 *
 * <pre>{@code
 * try (ControlPlaneServer cp = ControlPlaneServer.start(ServerConfig.builder(dir).port(0).build())) {
 *   URI base = cp.uri();   // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <p>Threads, none per watcher: Jetty's fixed pool ({@link ServerConfig#maxThreads}, which also runs
 * the watch fan-out; its selector and acceptor run on it), Jetty's scheduler, and one timer thread for
 * the watch timeout wheel and the registry's expiry sweep.
 *
 * <p>{@link #close} stops gracefully: held watches are answered (304, {@code Connection: close}) so
 * clients reconnect, new requests get 503, requests in flight (writes) finish, then the store is closed.
 */
public final class ControlPlaneServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlaneServer.class);

  private final ServerConfig config;
  private final Store store;
  private final WatchHub hub;
  private final Registry registry;
  private final ReportBook reports;
  private final EventJournal events;
  private final WatchTimeouts timeouts;
  /** One thread for the timer wheel's tick and the registry's expiry sweep. */
  private final ScheduledExecutorService timers;
  private final Server server;
  private final ServerConnector connector;
  private final ConnectionGuard guard;
  private volatile boolean stopping;
  private boolean closed;

  private ControlPlaneServer(ServerConfig config, Store store) {
    this.config = config;
    this.store = store;
    // First: it may refuse to start (its files), and nothing is running yet to be left behind.
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(config.dataDir().resolve("ca"), config.trustDomain(),
        config.certificateTtl(), java.time.Clock.systemUTC());
    // A fixed-size pool: the thread count is the same with 0 or 10,000 watchers.
    QueuedThreadPool pool = new QueuedThreadPool(config.maxThreads(), config.maxThreads());
    pool.setName("cp-http");
    server = new Server(pool);
    hub = new WatchHub(pool);
    store.addListener(hub::publish);
    registry = new Registry(store, Ticker.system());
    events = new EventJournal(store);
    store.addListener(events::onChange);
    reports = new ReportBook(Ticker.system(), config.staleGrace(), service -> store.service(service).policyRevision(),
        events);
    timeouts = new WatchTimeouts(pool, System::nanoTime);
    timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cp-timers");
      t.setDaemon(true);
      return t;
    });

    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setRequestHeaderSize(32 * 1024);
    // Paths Jetty calls ambiguous or suspicious (/v1/services/%2e%2e/policy, orders%2Fpolicy, %00) reach
    // the API, which refuses them itself (no such route, or an invalid service name) after reading the
    // body through: Jetty's own refusal closes without reading it, and with a large body still arriving
    // the close becomes a reset that destroys the 400 (ApiFuzzIT). Nothing here maps a path to a file.
    http.setUriCompliance(UriCompliance.DEFAULT.with("mesh-api",
        UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT, UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
        UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING, UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
        UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER, UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS,
        UriCompliance.Violation.ILLEGAL_PATH_CHARACTERS));
    // Jetty keeps a per-connection header-field cache (a trie of ~100 KB): at 10,000 held watches that
    // alone would be a gigabyte. Watch requests are tiny; parsing their headers afresh costs less.
    http.setHeaderCacheSize(0);
    // A held watch is an idle connection: the idle timeout must outlast the longest wait plus jitter.
    http.setIdleTimeout(config.maxWait().toMillis() * 11 / 10 + 30_000);
    if (config.keystore() != null) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStorePath(config.keystore().toAbsolutePath().toString());
      ssl.setKeyStorePassword(config.keystorePassword());
      connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
          new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setHost(config.host());
    connector.setPort(config.port());
    connector.setIdleTimeout(http.getIdleTimeout());
    connector.setAcceptQueueSize(4096);
    // Connections that send nothing are closed after a short deadline, and one address may hold only so
    // many: idle connections cannot exhaust the descriptors before any token is checked (ConnectionGuard).
    guard = new ConnectionGuard(config.maxConnectionsPerAddress(), config.firstRequestTimeout(),
        connector.getScheduler());
    connector.addEventListener(guard);
    server.addConnector(connector);

    ApiMetrics apiMetrics = new ApiMetrics();
    WatchEndpoint watch = new WatchEndpoint(store, hub, timeouts, config.defaultWait(), config.maxWait());
    ApiHandler api = new ApiHandler(store, config.auth(), pool, config.maxBodyBytes(), new PolicyEndpoints(store),
        new InstanceEndpoints(store, registry), watch, new ServiceEndpoints(store, hub, () -> stopping),
        new ReportEndpoints(reports, events), new MetricsEndpoint(store, hub, reports, apiMetrics, guard), apiMetrics,
        new CertificateEndpoints(ca, store));
    GracefulHandler graceful = new GracefulHandler(api);
    // During a stop, keep-alive connections with nothing in flight are closed after this long (Jetty's
    // default of 1 s would make every stop take a second).
    graceful.setShutdownIdleTimeout(250);
    server.setHandler(graceful);
    server.setErrorHandler(new ProblemErrorHandler());
    server.setStopTimeout(config.shutdownTimeout().toMillis());
    server.setStopAtShutdown(false);
  }

  /**
   * Opens the store in the configured data directory and starts serving.
   *
   * @throws Exception when the store cannot be opened or the port cannot be bound; nothing is left open
   */
  public static ControlPlaneServer start(ServerConfig config) throws Exception {
    Store store = SqliteStore.open(config.dataDir());
    ControlPlaneServer cp;
    try {
      cp = new ControlPlaneServer(config, store);
      cp.server.start();
    } catch (Exception | Error e) {
      store.close();
      throw e;
    }
    cp.timeouts.start(cp.timers);
    cp.timers.scheduleWithFixedDelay(cp.hub::sweepEmpty, 10, 10, TimeUnit.SECONDS);
    cp.registry.start(cp.timers, config.sweepInterval());
    // Token files are read again every 2 s: tokens rotate without a restart (a broken file keeps the old set).
    cp.timers.scheduleWithFixedDelay(() -> {
      try {
        config.auth().refresh();
      } catch (RuntimeException e) {
        LOG.error("token refresh failed: {}", e.toString());
      }
    }, 2, 2, TimeUnit.SECONDS);
    LOG.info("mesh-control-plane listening on {} (data {}, auth {}, revision {})", cp.uri(),
        config.dataDir().toAbsolutePath(), config.auth().isEnabled() ? "on, tokens " + config.auth().names() : "OFF",
        store.revision());
    return cp;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http(s)://host:port}, with 127.0.0.1 for a wildcard bind. */
  public URI uri() {
    String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create((config.keystore() != null ? "https" : "http") + "://" + host + ":" + port());
  }

  public Store store() {
    return store;
  }

  public Registry registry() {
    return registry;
  }

  /** What the clients report: topology and fleet. */
  public ReportBook reports() {
    return reports;
  }

  /** What happened: policy changes, instances and clients coming and going, ejections, breaker changes. */
  public EventJournal events() {
    return events;
  }

  public WatchHub hub() {
    return hub;
  }

  /** Graceful stop; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping = true;
    long started = System.nanoTime();
    int held = hub.held();
    hub.close();
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("HTTP server stop: {}", e.toString());
    }
    registry.close();
    timeouts.close();
    timers.shutdown();
    try {
      timers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
    LOG.info("mesh-control-plane stopped in {} ms ({} held watches answered)",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), held);
  }
}
