package io.mesh4j;

import io.mesh4j.balance.RandomSource;
import io.mesh4j.breaker.ServiceBreakers;
import io.mesh4j.limit.ServiceLimiters;
import io.mesh4j.discovery.DiscoverySource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.discovery.Subscription;
import io.mesh4j.policy.PolicySource;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.mesh4j.telemetry.MeshTelemetry;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The mesh runtime: ties discovery, policies and telemetry together and holds one
 * {@link ServiceRuntime} per logical service called. Create one per application and share it;
 * protocol adapters (OkHttp, gRPC) take it as their engine.
 *
 * <pre>{@code
 * try (Mesh mesh = Mesh.builder()
 *     .discovery(StaticDiscovery.of("orders", List.of(Endpoint.of("10.0.0.1", 8080))))
 *     .build()) {
 *   OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Looking up a service on the request path is a lock-free map read.
 */
public final class Mesh implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Mesh.class.getName());

  private final DiscoverySource discovery;
  private final PolicySource policies;
  private final ServicePolicy defaultPolicy;
  private final Ticker ticker;
  private final RandomSource random;
  private final MeshTelemetry telemetry;
  private final Consumer<String> eventLog;
  private final ConcurrentMap<String, ServiceRuntime> services = new ConcurrentHashMap<>();
  private final ServiceBreakers breakers;
  private final ServiceLimiters limiters;
  private final List<Subscription> subscriptions = new ArrayList<>();
  private volatile boolean closed;

  private Mesh(Builder b) {
    this.discovery = b.discovery;
    this.policies = b.policies;
    this.defaultPolicy = b.defaultPolicy;
    this.ticker = b.ticker;
    this.random = b.random;
    this.telemetry = new MeshTelemetry(b.openTelemetry != null ? b.openTelemetry : GlobalOpenTelemetry.get(), ticker);
    this.eventLog = b.eventLog;
    // One breaker and one set of limiters per service for the whole mesh: every client built on this
    // mesh shares them, as the services' callers share one budget.
    this.breakers = ServiceBreakers.builder().ticker(ticker).meter(telemetry.meter()).eventLog(eventLog).build();
    this.limiters = new ServiceLimiters(ticker);
  }

  /** The services' circuit breakers (layer 4), shared by every client of this mesh. */
  public ServiceBreakers breakers() {
    return breakers;
  }

  /** The services' rate and concurrency limiters (layer 4), shared by every client of this mesh. */
  public ServiceLimiters limiters() {
    return limiters;
  }

  /** A builder with static, empty discovery, no policies (defaults everywhere) and the global OpenTelemetry. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code host} names a mesh service (the discovery source resolves it). */
  public boolean handles(String host) {
    return services.containsKey(host) || discovery.handles(host);
  }

  /**
   * The runtime of {@code service}, created and subscribed to discovery and policy on first use.
   *
   * @throws IllegalStateException when the mesh is closed
   */
  public ServiceRuntime service(String service) {
    ServiceRuntime rt = services.get(service);
    if (rt != null && rt.subscribed) {
      return rt; // the request path: one map read and one volatile read
    }
    return open(service);
  }

  /**
   * Creates the runtime and subscribes it, outside any map operation: sources deliver their current
   * state synchronously while subscribing, and whatever their listeners do — including calling
   * {@link #service} again, for this service or another — must not run inside
   * {@code ConcurrentHashMap.computeIfAbsent} (which throws "Recursive update" on reentry).
   *
   * <p>Exactly one thread creates and subscribes a service's runtime: the one whose {@code putIfAbsent}
   * wins. It holds the runtime's {@code opening} monitor until its subscriptions are made; other threads
   * wait on that monitor, so no caller gets a runtime before it has subscribed. The opening thread itself
   * may re-enter (monitors are reentrant) and then sees the runtime as it is so far.
   */
  private ServiceRuntime open(String service) {
    ServiceRuntime existing = services.get(service);
    if (existing == null) {
      if (closed) {
        throw new IllegalStateException("mesh is closed (service '" + service + "' requested)");
      }
      ServiceRuntime created = new ServiceRuntime(service, defaultPolicy, ticker, random, telemetry,
          discovery.describe(), eventLog);
      synchronized (created.opening) {
        existing = services.putIfAbsent(service, created);
        if (existing == null) {
          subscribe(created);
          return created;
        }
      }
    }
    synchronized (existing.opening) {
      return existing; // its opener has finished (or is this very thread, re-entering)
    }
  }

  private void subscribe(ServiceRuntime rt) {
    try {
      // Policy first, so the first endpoint set is seeded with the service's own default RTT.
      Subscription p = policies.subscribe(rt.name(), rt::onPolicy);
      Subscription d = discovery.subscribe(rt.name(), rt::onEndpoints);
      synchronized (subscriptions) {
        subscriptions.add(p);
        subscriptions.add(d);
      }
      if (closed) {
        close(); // closed while subscribing: undo what was just added
      }
    } finally {
      rt.subscribed = true; // even when a source threw: callers get the runtime on its defaults
    }
  }

  /** Whether {@link #close} was called: calls through the mesh then fail with {@link MeshClosedException}. */
  public boolean isClosed() {
    return closed;
  }

  /** The services called so far. */
  public Collection<ServiceRuntime> services() {
    return List.copyOf(services.values());
  }

  public MeshTelemetry telemetry() {
    return telemetry;
  }

  public Ticker ticker() {
    return ticker;
  }

  /** The policy services run on until their source delivers one. */
  public ServicePolicy defaultPolicy() {
    return defaultPolicy;
  }

  /**
   * Stops listening to discovery and policy sources. Calls already running finish normally; calls made
   * afterwards to mesh services fail at once with {@link MeshClosedException} (an {@code IOException}),
   * sending nothing.
   */
  @Override
  public void close() {
    closed = true;
    synchronized (subscriptions) {
      for (Subscription s : subscriptions) {
        try {
          s.close();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "closing a subscription failed", e);
        }
      }
      subscriptions.clear();
    }
  }

  /** Configures a {@link Mesh}. */
  public static final class Builder {
    private DiscoverySource discovery = StaticDiscovery.create();
    private PolicySource policies = StaticPolicySource.create();
    private ServicePolicy defaultPolicy = ServicePolicy.DEFAULT;
    private OpenTelemetry openTelemetry;
    private Ticker ticker = Ticker.system();
    private RandomSource random = RandomSource.threadLocal();
    private Consumer<String> eventLog = msg -> LOG.info(msg);

    private Builder() {}

    /** Where endpoints come from. Default: an empty {@link StaticDiscovery}. */
    public Builder discovery(DiscoverySource value) {
      discovery = Objects.requireNonNull(value, "discovery");
      return this;
    }

    /** Where per-service policies come from. Default: none, every service on {@link #defaultPolicy}. */
    public Builder policies(PolicySource value) {
      policies = Objects.requireNonNull(value, "policies");
      return this;
    }

    /** The policy of services their source has none for. Default {@link ServicePolicy#DEFAULT}. */
    public Builder defaultPolicy(ServicePolicy value) {
      defaultPolicy = Objects.requireNonNull(value, "defaultPolicy");
      return this;
    }

    /** The OpenTelemetry to trace and measure with. Default: {@link GlobalOpenTelemetry#get()}. */
    public Builder openTelemetry(OpenTelemetry value) {
      openTelemetry = Objects.requireNonNull(value, "openTelemetry");
      return this;
    }

    /** The clock (tests pass a {@link io.mesh4j.time.ManualTicker}). */
    public Builder ticker(Ticker value) {
      ticker = Objects.requireNonNull(value, "ticker");
      return this;
    }

    /** The balancers' randomness (tests pass {@link RandomSource#seeded}). */
    public Builder random(RandomSource value) {
      random = Objects.requireNonNull(value, "random");
      return this;
    }

    /** Receives one line per ejection and readmission. Default: java.util.logging at INFO. */
    public Builder eventLog(Consumer<String> value) {
      eventLog = Objects.requireNonNull(value, "eventLog");
      return this;
    }

    public Mesh build() {
      return new Mesh(this);
    }
  }
}
