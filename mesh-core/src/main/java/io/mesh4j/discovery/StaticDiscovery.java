package io.mesh4j.discovery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A discovery source holding fixed endpoint lists, which {@link #set} may replace at run time
 * (tests and simple deployments use it; the quickstart does).
 */
public final class StaticDiscovery implements DiscoverySource {
  private final Map<String, EndpointSet> sets = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<EndpointSet>>> listeners = new ConcurrentHashMap<>();
  private final AtomicLong revision = new AtomicLong();

  private StaticDiscovery() {}

  /** An empty source; add services with {@link #set}. */
  public static StaticDiscovery create() {
    return new StaticDiscovery();
  }

  /** A source with one service. */
  public static StaticDiscovery of(String service, List<Endpoint> endpoints) {
    StaticDiscovery d = new StaticDiscovery();
    d.set(service, endpoints);
    return d;
  }

  /**
   * Replaces the endpoints of {@code service} and notifies its listeners.
   *
   * @throws IllegalArgumentException when {@code service} is not a valid service name ({@link ServiceNames}):
   *     {@code "Payments"} would never match, since URL hosts reach the mesh in lower case
   */
  public StaticDiscovery set(String service, List<Endpoint> endpoints) {
    ServiceNames.check(service);
    // Serialized per service so listeners see snapshots in revision order.
    synchronized (listenersOf(service)) {
      EndpointSet set = new EndpointSet(service, revision.incrementAndGet(), endpoints);
      sets.put(service, set);
      for (Consumer<EndpointSet> l : listenersOf(service)) {
        l.accept(set);
      }
    }
    return this;
  }

  private List<Consumer<EndpointSet>> listenersOf(String service) {
    return listeners.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>());
  }

  @Override
  public boolean handles(String service) {
    return sets.containsKey(service);
  }

  @Override
  public Subscription subscribe(String service, Consumer<EndpointSet> listener) {
    List<Consumer<EndpointSet>> list = listenersOf(service);
    synchronized (list) {
      list.add(listener);
      EndpointSet current = sets.get(service);
      if (current != null) {
        listener.accept(current);
      }
    }
    return () -> list.remove(listener);
  }

  @Override
  public String describe() {
    return "static";
  }
}
