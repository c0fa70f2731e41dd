package io.mesh4j.controlplane.watch;

import io.mesh4j.controlplane.store.Change;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The held long-polls, indexed by watched service, and the fan-out that ends them when a service changes.
 *
 * <p>The no-missed-change argument: a watch is {@link #register registered} before its handler reads the
 * store; the store publishes a change to reads before it calls {@link #publish}. So either the handler's
 * read sees the change (and answers at once), or the read happened before the change was visible, hence
 * before {@code publish}, and {@code publish} finds the watch in the index. In both cases the client
 * hears of the change. A watch that is both found by {@code publish} and answered by its handler is
 * answered once: {@link Watch#end} is a compare-and-set.
 *
 * <p>Index: service -> {@link WatchSet}, a concurrent set plus a {@code closed} flag. {@code publish}
 * swaps a service's set for a new one, closes the old one, then iterates it; later watches go into the
 * new set. A
 * registering watch adds itself to the set it found, then reads {@code closed}: if the set is still open,
 * the publisher's close comes after the add, and so does its iteration, which therefore sees the watch;
 * if it is closed, the watch retries on the current set. Registration takes no lock shared by all the
 * watchers of a service: 10,000 watchers polling again right after a fan-out do not queue on one lock.
 * Emptied sets are swept by {@link #sweepEmpty} (same close-then-iterate rule), so watching made-up names
 * does not grow the map.
 *
 * <p>Fan-out: ending a watch writes its HTTP response (non-blocking, but not free), so {@code publish}
 * hands the watches to {@code executor} in at most one batch per core and returns at once; with 10,000
 * watchers on one service the writer that made the change is not held up by them, and the pool does not
 * grow with the number of watchers.
 */
public final class WatchHub {
  /** Watches per fan-out task: large enough to amortise the hand-off, small enough to spread over cores. */
  private static final int BATCH = 256;
  private static final int PARALLELISM = Math.max(2, Runtime.getRuntime().availableProcessors());
  /** Registration retries when publishes keep closing the set under it; then it just answers. */
  private static final int MAX_RETRIES = 100;

  private static final class WatchSet {
    final Set<Watch> watches;
    volatile boolean closed;

    WatchSet(int expected) {
      // Sized for as many watchers as the set it replaces had: they are about to come back, and growing a
      // concurrent map from 16 to 16,384 entries under 10,000 concurrent inserts is most of their cost.
      watches = ConcurrentHashMap.newKeySet(Math.max(16, expected + expected / 2));
    }
  }

  private final ConcurrentHashMap<String, WatchSet> byService = new ConcurrentHashMap<>();
  private final Executor executor;
  private final AtomicInteger held = new AtomicInteger();
  private volatile boolean closed;

  public WatchHub(Executor executor) {
    this.executor = executor;
  }

  /**
   * Adds {@code watch} to the index, before its handler reads the store. Returns false when the hub is
   * closed (shutting down): the caller answers at once instead.
   */
  public boolean register(Watch watch) {
    if (closed) {
      return false;
    }
    held.incrementAndGet();
    watch.onEnd(() -> unregister(watch));
    for (String s : watch.services()) {
      if (!add(s, watch)) {
        // A storm of changes to this service: answering now is as good as waiting for the next one.
        watch.end(Watch.Reason.CHANGED);
        return true;
      }
      if (watch.isEnded()) {
        // Ended by a change to a service added before this one: its cleanup may have run before this
        // add, so take it out of the sets again.
        removeFromSets(watch);
        return true;
      }
    }
    if (closed) {
      // close() may have swept the index before this watch was in it.
      watch.end(Watch.Reason.SHUTDOWN);
    }
    return true;
  }

  private boolean add(String service, Watch watch) {
    for (int i = 0; i < MAX_RETRIES; i++) {
      WatchSet set = byService.computeIfAbsent(service, k -> new WatchSet(16));
      set.watches.add(watch);
      if (!set.closed) {
        return true;
      }
      set.watches.remove(watch);
    }
    return false;
  }

  private void unregister(Watch watch) {
    held.decrementAndGet();
    removeFromSets(watch);
  }

  private void removeFromSets(Watch watch) {
    for (String s : watch.services()) {
      WatchSet set = byService.get(s);
      if (set != null) {
        set.watches.remove(watch);
      }
    }
  }

  /** Ends every watch on a service that {@code change} touched. Returns at once; the fan-out is async. */
  public void publish(Change change) {
    List<Watch> woken = new ArrayList<>();
    for (String s : change.services()) {
      WatchSet set = byService.get(s);
      // Swap in an empty set (later watches go there), then close and drain the old one.
      while (set != null && !byService.replace(s, set, new WatchSet(set.watches.size()))) {
        set = byService.get(s);
      }
      if (set != null) {
        set.closed = true;
        woken.addAll(set.watches);
      }
    }
    fanOut(executor, woken, Watch.Reason.CHANGED);
  }

  /**
   * Drops the sets of services nobody watches any more. A watch that slips into a set while it is being
   * dropped is answered (as for a change: with the current state, or 304 when nothing is new) and polls
   * again.
   */
  public void sweepEmpty() {
    List<Watch> stragglers = new ArrayList<>();
    for (Map.Entry<String, WatchSet> e : byService.entrySet()) {
      WatchSet set = e.getValue();
      if (set.watches.isEmpty() && byService.remove(e.getKey(), set)) {
        set.closed = true;
        stragglers.addAll(set.watches);
      }
    }
    fanOut(executor, stragglers, Watch.Reason.CHANGED);
  }

  /** The number of watches held right now. */
  public int held() {
    return held.get();
  }

  /**
   * Stops accepting watches and ends every held one with {@link Watch.Reason#SHUTDOWN}, on the calling
   * thread (the executor may be stopping too).
   */
  public void close() {
    closed = true;
    List<Watch> all = new ArrayList<>();
    for (String s : List.copyOf(byService.keySet())) {
      WatchSet set = byService.remove(s);
      if (set != null) {
        set.closed = true;
        all.addAll(set.watches);
      }
    }
    for (Watch w : all) {
      w.end(Watch.Reason.SHUTDOWN);
    }
  }

  /** Ends {@code watches} for {@code reason} on {@code executor}, in at most one batch per core. */
  static void fanOut(Executor executor, List<Watch> watches, Watch.Reason reason) {
    // At most one task per core (more would only queue on the same cores and grow the pool), at least
    // BATCH watches per task.
    int tasks = Math.max(1, Math.min(PARALLELISM, (watches.size() + BATCH - 1) / BATCH));
    int per = (watches.size() + tasks - 1) / tasks;
    for (int from = 0; from < watches.size(); from += per) {
      List<Watch> batch = watches.subList(from, Math.min(watches.size(), from + per));
      Runnable task = () -> {
        for (Watch w : batch) {
          w.end(reason);
        }
      };
      try {
        executor.execute(task);
      } catch (RuntimeException rejected) {
        task.run();
      }
    }
  }

  /** For tests: the watches indexed under {@code service}. */
  Set<Watch> watching(String service) {
    WatchSet set = byService.get(service);
    return set == null ? Set.of() : set.watches;
  }

  /** For tests: the number of services in the index. */
  int indexedServices() {
    return byService.size();
  }
}
