package io.mesh4j.controlplane.report;

import io.mesh4j.controlplane.store.Change;
import io.mesh4j.controlplane.store.Instance;
import io.mesh4j.controlplane.store.ServiceState;
import io.mesh4j.controlplane.store.Store;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What happened in the mesh, newest last, numbered: policy changes and instances joining and leaving (from
 * the store's commits), reporting clients appearing and going silent, endpoints ejected and circuit breakers
 * changing state (from the clients' reports, compared with each instance's previous one). The last
 * {@value #CAPACITY} are kept, in memory.
 *
 * <p>Thread-safety: {@code synchronized}; the store calls {@link #onChange} from its writer, under its
 * lock, in revision order, and the report book calls the others from request threads.
 */
public final class EventJournal {
  static final int CAPACITY = 1_000;

  /**
   * One event.
   *
   * @param seq     its number, from 1; {@code GET /v1/events?since=seq} returns those after it
   * @param kind    {@code policy-changed}, {@code policy-deleted}, {@code instance-joined}, {@code instance-left},
   *                {@code client-joined}, {@code client-left}, {@code endpoint-ejected}, {@code breaker-changed}
   * @param service the service it is about
   * @param detail  a sentence for people
   */
  public record Event(long seq, Instant at, String kind, String service, String detail) {}

  /**
   * Events after a number, and whether some were missed: dropped before they could be read, or, when the
   * number asked for is past the newest (the control plane restarted), the newest {@code limit} are given.
   */
  public record Page(List<Event> events, long last, boolean missed) {}

  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private final Store store;
  /** Per service: the policy revision and instance ids last seen. */
  private final Map<String, long[]> policyRevision = new HashMap<>();
  private final Map<String, Map<String, Instance>> instances = new HashMap<>();
  private long seq;

  /** Starts from the store's current state (nothing is reported for what is already there). */
  public EventJournal(Store store) {
    this.store = store;
    synchronized (this) {
      for (ServiceState s : store.services()) {
        remember(s);
      }
    }
  }

  /** A store commit: which services changed, and how. */
  public synchronized void onChange(Change change) {
    for (String service : new TreeSet<>(change.services())) {
      ServiceState now = store.service(service);
      long[] before = policyRevision.get(service);
      if (now.policyRevision() != (before == null ? 0 : before[0])) {
        boolean deleted = now.policyJson() == null;
        add(deleted ? "policy-deleted" : "policy-changed", service, "policy of " + service
            + (deleted ? " deleted" : " set") + " at revision " + now.policyRevision());
      }
      Map<String, Instance> old = instances.getOrDefault(service, Map.of());
      Set<String> ids = new TreeSet<>();
      for (Instance i : now.instances()) {
        ids.add(i.id());
        if (!old.containsKey(i.id())) {
          add("instance-joined", service, service + " instance " + address(i) + " joined (" + i.id() + ")");
        }
      }
      for (Instance i : old.values()) {
        if (!ids.contains(i.id())) {
          add("instance-left", service, service + " instance " + address(i) + " left (" + i.id() + ")");
        }
      }
      remember(now);
    }
  }

  /** Adds an event observed elsewhere (the report book). */
  public synchronized void add(String kind, String service, String detail) {
    events.addLast(new Event(++seq, Instant.now(), kind, service, detail));
    if (events.size() > CAPACITY) {
      events.removeFirst();
    }
  }

  /** Up to {@code limit} events numbered after {@code since}, oldest first. */
  public synchronized Page since(long since, int limit) {
    List<Event> out = new ArrayList<>();
    for (Event e : events) {
      if (e.seq() > since && out.size() < limit) {
        out.add(e);
      }
    }
    if (since > seq) {
      // A number this journal never gave: the control plane restarted (numbering starts again at 1).
      // Tell the reader, and where to go on from.
      return new Page(List.copyOf(events).subList(Math.max(0, events.size() - limit), events.size()), seq, true);
    }
    boolean missed = !events.isEmpty() && events.peekFirst().seq() > since + 1;
    return new Page(out, out.isEmpty() ? Math.max(since, 0) : out.get(out.size() - 1).seq(), missed);
  }

  private void remember(ServiceState s) {
    policyRevision.put(s.name(), new long[] {s.policyRevision()});
    Map<String, Instance> byId = new HashMap<>();
    s.instances().forEach(i -> byId.put(i.id(), i));
    instances.put(s.name(), byId);
  }

  private static String address(Instance i) {
    String host = i.spec().host();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.spec().port();
  }
}
