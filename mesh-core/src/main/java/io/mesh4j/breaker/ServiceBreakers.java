package io.mesh4j.breaker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.mesh4j.time.Ticker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Layer 4 of the request path: one circuit breaker per service, built from the service's
 * {@link CircuitBreakerPolicy} (resilience4j underneath, with a time-based sliding window of
 * {@code window} seconds and an automatic move from OPEN to HALF_OPEN after {@code openDuration}, so
 * that {@link #state} shows it without waiting for a call).
 *
 * <pre>{@code
 * ServiceBreakers breakers = ServiceBreakers.builder()
 *     .ticker(mesh.ticker()).meter(mesh.telemetry().meter()).eventLog(log::info).build();
 * ServiceBreaker b = breakers.forService(mesh.service("orders"));
 * if (b != null) {                       // null: the policy disables the breaker
 *   long start = b.acquirePermission();  // throws CircuitOpenException, nothing sent
 *   ... send, then b.onFinish(start, outcome);
 * }
 * }</pre>
 *
 * <h2>Policy changes reset the breaker</h2>
 * When a service's {@code circuitBreaker} section changes (by value), its breaker is replaced by a new
 * one, CLOSED with an empty window: resilience4j's configuration is immutable, and counts gathered
 * under other thresholds would not mean the same thing. Policy revisions that leave the section equal
 * keep the breaker and its state. Calls in flight finish on the breaker they started on.
 *
 * <h2>Concurrency</h2>
 * The request path does one {@link ConcurrentHashMap#get} and compares the policy it holds with the
 * one the slot was built for by identity; no lock. Only when that fails (a new policy revision) does
 * it go through {@link ConcurrentHashMap#compute}, which serializes the rebuild per service, and which
 * re-reads the service's policy under that bin lock so that a call holding an older snapshot cannot
 * bring the old breaker back. Each slot is immutable; a breaker's own state is resilience4j's
 * (an atomic state reference, and a per-breaker lock around its sliding window).
 */
public final class ServiceBreakers {
  private static final Logger LOG = Logger.getLogger(ServiceBreakers.class.getName());

  /** The state a breaker left, lower case: {@code closed}, {@code open}, {@code half_open}. */
  public static final AttributeKey<String> FROM = AttributeKey.stringKey("mesh.breaker.from");
  /** The state a breaker entered, lower case. */
  public static final AttributeKey<String> TO = AttributeKey.stringKey("mesh.breaker.to");
  /** Name of the counter of state changes, by {@code mesh.service}, {@link #FROM} and {@link #TO}. */
  public static final String TRANSITIONS = "mesh.client.breaker.transitions";

  private final Ticker ticker;
  private final TickerClock clock;
  private final Consumer<String> eventLog;
  private final LongCounter transitions;
  private final ConcurrentMap<String, Slot> byService = new ConcurrentHashMap<>();

  /** A service's breaker and the policy object it was last confirmed for. Immutable. */
  private record Slot(CircuitBreakerPolicy policy, ServiceBreaker breaker) {}

  private ServiceBreakers(Builder b) {
    this.ticker = b.ticker;
    this.clock = new TickerClock(b.ticker);
    this.eventLog = b.eventLog;
    this.transitions = b.meter.counterBuilder(TRANSITIONS)
        .setUnit("{transition}")
        .setDescription("Circuit breaker state changes, by service and from/to state.")
        .build();
  }

  /** A builder: system ticker, no metrics, events to java.util.logging at INFO. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The breaker for the runtime's service under its current policy, or null when that policy disables
   * the breaker. Lock-free unless the policy changed since the last call.
   */
  public ServiceBreaker forService(ServiceRuntime runtime) {
    CircuitBreakerPolicy policy = runtime.policy().circuitBreaker();
    Slot slot = byService.get(runtime.name());
    if (slot != null && slot.policy == policy) {
      return slot.breaker;
    }
    return update(runtime.name(), policy, runtime);
  }

  /**
   * The breaker for {@code service} under {@code policy}, or null when {@code policy} disables it. For
   * callers that keep policies themselves: a policy different from the last one passed replaces the
   * breaker, so pass the newest.
   */
  public ServiceBreaker forService(String service, CircuitBreakerPolicy policy) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(policy, "policy");
    Slot slot = byService.get(service);
    if (slot != null && slot.policy == policy) {
      return slot.breaker;
    }
    return update(service, policy, null);
  }

  private ServiceBreaker update(String service, CircuitBreakerPolicy given, ServiceRuntime runtime) {
    List<String> events = new ArrayList<>(1);
    Slot slot = byService.compute(service, (name, old) -> {
      // The runtime's policy only moves forward; reading it here, under the bin lock, means the last
      // rebuild always uses the newest policy whatever snapshot the calling thread held.
      CircuitBreakerPolicy policy = runtime != null ? runtime.policy().circuitBreaker() : given;
      if (old != null && old.policy == policy) {
        return old;
      }
      if (old != null && old.policy.equals(policy)) {
        return new Slot(policy, old.breaker); // a new revision, same breaker section: keep the state
      }
      ServiceBreaker replaced = old == null ? null : old.breaker;
      ServiceBreaker created = policy.enabled() ? create(name, policy) : null;
      if (replaced != null) {
        replaced.retire();
        events.add("service '" + name + "': circuit breaker " + (created == null ? "disabled" : "replaced")
            + " by a policy change (was " + replaced.circuitBreaker().getState() + "; state reset)");
      }
      return new Slot(policy, created);
    });
    events.forEach(eventLog); // outside the bin lock: the log may be slow
    return slot.breaker;
  }

  private ServiceBreaker create(String service, CircuitBreakerPolicy p) {
    CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .failureRateThreshold(p.failureRateThreshold())
        .slowCallRateThreshold(p.slowCallRateThreshold())
        .slowCallDurationThreshold(p.slowCallDuration())
        // Time-based: the window is "the last N seconds", whatever the call rate. SYNCHRONIZED is
        // resilience4j's default and the strategy that reads the clock it is given (the lock-free
        // one uses the system clock), which is what lets tests drive it with a ManualTicker.
        .slidingWindow((int) p.window().getSeconds(), p.minimumCalls(), SlidingWindowType.TIME_BASED,
            SlidingWindowSynchronizationStrategy.SYNCHRONIZED)
        // resilience4j counts the open wait in whole milliseconds and refuses 0.
        .waitDurationInOpenState(p.openDuration().compareTo(Duration.ofMillis(1)) < 0
            ? Duration.ofMillis(1) : p.openDuration())
        .permittedNumberOfCallsInHalfOpenState(p.halfOpenCalls())
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        .writableStackTraceEnabled(false)
        .clock(clock)
        .build();
    return new ServiceBreaker(service, p, CircuitBreaker.of(service, config), ticker, this);
  }

  /** Called by a breaker, once per state change it observed. */
  void transitioned(ServiceBreaker breaker, State from, State to, String reason) {
    transitions.add(1, Attributes.of(MeshTelemetry.SERVICE, breaker.service(), FROM, name(from), TO, name(to)));
    StringBuilder line = new StringBuilder("service '").append(breaker.service()).append("': circuit breaker ")
        .append(from).append(" -> ").append(to);
    if (!reason.isEmpty()) {
      line.append(" (").append(reason).append(')');
    }
    if (to == State.OPEN) {
      line.append("; calls fail fast for ").append(ServiceBreaker.seconds(breaker.policy().openDuration().toNanos()));
    }
    eventLog.accept(line.toString());
  }

  private static String name(State s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /** The state of {@code service}'s breaker, for status pages; empty when it has none (never called, or disabled). */
  public Optional<State> state(String service) {
    return get(service).map(ServiceBreaker::state);
  }

  /** {@code service}'s breaker, if it has one. */
  public Optional<ServiceBreaker> get(String service) {
    Slot slot = byService.get(service);
    return Optional.ofNullable(slot == null ? null : slot.breaker);
  }

  /** Every service's breaker, for status pages. */
  public Collection<ServiceBreaker> all() {
    List<ServiceBreaker> list = new ArrayList<>();
    for (Slot s : byService.values()) {
      if (s.breaker != null) {
        list.add(s.breaker);
      }
    }
    return list;
  }

  /** Configures {@link ServiceBreakers}. */
  public static final class Builder {
    private Ticker ticker = Ticker.system();
    private Meter meter = MeterProvider.noop().get(MeshTelemetry.SCOPE);
    private Consumer<String> eventLog = msg -> LOG.info(msg);

    private Builder() {}

    /** The clock of sliding windows, open-state waits and slow-call durations. Default: system. */
    public Builder ticker(Ticker value) {
      ticker = Objects.requireNonNull(value, "ticker");
      return this;
    }

    /**
     * Where the {@code mesh.client.breaker.transitions} counter is created, usually
     * {@code mesh.telemetry().meter()}. Default: no-op.
     */
    public Builder meter(Meter value) {
      meter = Objects.requireNonNull(value, "meter");
      return this;
    }

    /** Receives one line per state change and per policy-driven reset. Default: java.util.logging at INFO. */
    public Builder eventLog(Consumer<String> value) {
      eventLog = Objects.requireNonNull(value, "eventLog");
      return this;
    }

    /** The breakers; none exists until a service is first asked for. */
    public ServiceBreakers build() {
      return new ServiceBreakers(this);
    }
  }
}
