package io.mesh4j.policy;

import io.mesh4j.discovery.Subscription;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Policies set in code; {@link #put} replaces one at run time and notifies subscribers. Thread-safe. */
public final class StaticPolicySource implements PolicySource {
  private final Map<String, VersionedPolicy> policies = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<VersionedPolicy>>> listeners = new ConcurrentHashMap<>();
  private final AtomicLong revision = new AtomicLong();

  /** A source with no policies: every service runs on the mesh default. */
  public static StaticPolicySource create() {
    return new StaticPolicySource();
  }

  /** Sets {@code service}'s policy and delivers it to current subscribers. Returns the new revision. */
  public long put(String service, ServicePolicy policy) {
    List<Consumer<VersionedPolicy>> list = listenersOf(service);
    synchronized (list) {
      VersionedPolicy vp = new VersionedPolicy(service, revision.incrementAndGet(), policy);
      policies.put(service, vp);
      for (Consumer<VersionedPolicy> l : list) {
        l.accept(vp);
      }
      return vp.revision();
    }
  }

  /**
   * Parses and sets {@code service}'s policy from JSON. Invalid JSON is rejected with an
   * {@link InvalidPolicyException} listing every bad field, and the policy in force stays in force.
   */
  public long putJson(String service, String json) {
    return put(service, PolicyCodec.fromJson(json));
  }

  private List<Consumer<VersionedPolicy>> listenersOf(String service) {
    return listeners.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>());
  }

  @Override
  public Subscription subscribe(String service, Consumer<VersionedPolicy> listener) {
    List<Consumer<VersionedPolicy>> list = listenersOf(service);
    synchronized (list) {
      list.add(listener);
      VersionedPolicy current = policies.get(service);
      if (current != null) {
        listener.accept(current);
      }
    }
    return () -> list.remove(listener);
  }
}
