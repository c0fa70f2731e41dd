package io.mesh4j.controlplane.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Requests answered by the API, by route, method and status: one {@link LongAdder} per combination,
 * found in a {@link ConcurrentHashMap} (no lock on the answer path; after a change, 10,000 watch answers
 * increment the same adder from many threads, which a {@code LongAdder} spreads over cells).
 */
final class ApiMetrics {
  record Key(String route, String method, int status) {}

  private final Map<Key, LongAdder> requests = new ConcurrentHashMap<>();

  void record(String route, String method, int status) {
    requests.computeIfAbsent(new Key(route, method, status), k -> new LongAdder()).increment();
  }

  /** A sorted copy of the counts. */
  Map<Key, Long> snapshot() {
    Map<Key, Long> out = new TreeMap<>(java.util.Comparator.comparing(Key::route).thenComparing(Key::method)
        .thenComparingInt(Key::status));
    requests.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
