package io.mesh4j.controlplane.registry;

import io.mesh4j.controlplane.store.Instance;
import io.mesh4j.controlplane.store.InstanceSpec;
import io.mesh4j.controlplane.store.NotFoundException;
import io.mesh4j.controlplane.store.Registration;
import io.mesh4j.controlplane.store.Store;
import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances with a TTL: registration and deregistration are store writes; heartbeats only move an
 * in-memory deadline; a periodic sweep removes the instances whose deadline passed (one store write,
 * one new revision, which wakes the watchers of their services).
 *
 * <p>Why heartbeats are not written to disk: a heartbeat changes nothing a watcher sees, and an fsync
 * per heartbeat per instance would make the store the bottleneck of the registry. The cost is what a
 * restart does: the stored instances come back, and each gets one full TTL from the restart to
 * heartbeat again. That is also the right thing to do: while the control plane was down, no instance
 * could heartbeat, so none can be blamed for missing one.
 *
 * <p>Races: the sweep removes a deadline only if it is still the one it judged expired
 * ({@link Map#remove(Object, Object)}), so a heartbeat that lands in between keeps its instance.
 * Thread-safe.
 */
public final class Registry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

  private final Store store;
  private final Ticker ticker;
  /** instance id -> deadline in {@link Ticker#nanoTime()} time. */
  private final Map<String, Long> deadlines = new ConcurrentHashMap<>();
  private volatile ScheduledFuture<?> sweeper;

  public Registry(Store store, Ticker ticker) {
    this.store = store;
    this.ticker = ticker;
    long now = ticker.nanoTime();
    for (Instance i : store.instances()) {
      deadlines.put(i.id(), now + i.spec().ttl().toNanos());
    }
  }

  /** Runs {@link #sweep} every {@code interval} on {@code scheduler} until {@link #close}. */
  public void start(ScheduledExecutorService scheduler, Duration interval) {
    long ms = Math.max(1, interval.toMillis());
    sweeper = scheduler.scheduleWithFixedDelay(() -> {
      try {
        sweep();
      } catch (RuntimeException e) {
        LOG.warn("instance expiry sweep failed; retrying at the next one: {}", e.toString());
      }
    }, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Registers (or refreshes) an instance and starts its TTL. */
  public Registration register(String service, InstanceSpec spec) {
    return register(service, spec, io.mesh4j.controlplane.store.Actor.UNKNOWN);
  }

  /** Registers (or refreshes) an instance for {@code actor} (kept in the audit log) and starts its TTL. */
  public Registration register(String service, InstanceSpec spec, io.mesh4j.controlplane.store.Actor actor) {
    Registration r = store.registerInstance(service, spec, actor);
    deadlines.put(r.instance().id(), ticker.nanoTime() + spec.ttl().toNanos());
    return r;
  }

  /**
   * Moves the instance's deadline to now + its TTL.
   *
   * @return the instance, or empty when {@code service} has no such instance (it expired or was never
   *     registered): the instance should register again
   */
  public Optional<Instance> heartbeat(String service, String id) {
    Optional<Instance> instance = store.service(service).instance(id);
    instance.ifPresent(i -> deadlines.put(i.id(), ticker.nanoTime() + i.spec().ttl().toNanos()));
    return instance;
  }

  /**
   * Removes an instance now.
   *
   * @throws NotFoundException when {@code service} has no such instance
   */
  public long deregister(String service, String id) {
    return deregister(service, id, io.mesh4j.controlplane.store.Actor.UNKNOWN);
  }

  /** Removes an instance now, for {@code actor} (kept in the audit log). */
  public long deregister(String service, String id, io.mesh4j.controlplane.store.Actor actor) {
    long revision = store.deregisterInstance(service, id, actor);
    deadlines.remove(id);
    return revision;
  }

  /** How long until the instance expires, if it is registered. */
  public Optional<Duration> remaining(String id) {
    Long deadline = deadlines.get(id);
    return deadline == null ? Optional.empty()
        : Optional.of(Duration.ofNanos(Math.max(0, deadline - ticker.nanoTime())));
  }

  /** Removes every instance whose deadline has passed. Returns the new revision, or 0 when none expired. */
  public long sweep() {
    long now = ticker.nanoTime();
    List<String> expired = new ArrayList<>();
    for (Map.Entry<String, Long> e : deadlines.entrySet()) {
      if (now - e.getValue() >= 0 && deadlines.remove(e.getKey(), e.getValue())) {
        expired.add(e.getKey());
      }
    }
    if (expired.isEmpty()) {
      return 0;
    }
    try {
      long revision = store.removeInstances(expired);
      if (revision > 0) {
        LOG.info("expired {} instance(s) at revision {}", expired.size(), revision);
      }
      return revision;
    } catch (RuntimeException e) {
      // Nothing was removed: put the deadlines back (as already passed) so the next sweep retries.
      expired.forEach(id -> deadlines.putIfAbsent(id, now));
      throw e;
    }
  }

  @Override
  public void close() {
    ScheduledFuture<?> s = sweeper;
    if (s != null) {
      s.cancel(false);
    }
  }
}
