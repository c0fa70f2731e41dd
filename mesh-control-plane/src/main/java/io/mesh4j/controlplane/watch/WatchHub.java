package io.mesh4j.controlplane.watch;

import io.mesh4j.controlplane.store.Change;
import java.util.ArrayList;
import java.util.HashSet;
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
 * <p>Index: service -> set of watches. Sets are plain {@link HashSet}s only ever touched inside
 * {@link ConcurrentHashMap#compute} for their key (the bin lock), and {@link #publish} takes a whole set
 * out with {@link ConcurrentHashMap#remove}: after that no one else can reach it, so it is iterated
 * without a lock. A watch on several services is removed from the others' sets when it ends.
 *
 * <p>Fan-out: ending a watch writes its HTTP response (non-blocking, but not free), so {@code publish}
 * hands the watches to {@code executor} in batches and returns at once; with 10,000 watchers on one
 * service the writer that made the change is not held up by them.
 */
public final class WatchHub {
  /** Watches per fan-out task: large enough to amortise the hand-off, small enough to spread over cores. */
  private static final int BATCH = 256;

  private final ConcurrentHashMap<String, Set<Watch>> byService = new ConcurrentHashMap<>();
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
    for (String s : watch.services()) {
      byService.compute(s, (k, set) -> {
        Set<Watch> out = set == null ? new HashSet<>() : set;
        out.add(watch);
        return out;
      });
    }
    watch.onEnd(() -> unregister(watch));
    if (closed) {
      // close() may have swept the index before this watch was in it.
      watch.end(Watch.Reason.SHUTDOWN);
    }
    return true;
  }

  private void unregister(Watch watch) {
    held.decrementAndGet();
    for (String s : watch.services()) {
      byService.computeIfPresent(s, (k, set) -> {
        set.remove(watch);
        return set.isEmpty() ? null : set;
      });
    }
  }

  /** Ends every watch on a service that {@code change} touched. Returns at once; the fan-out is async. */
  public void publish(Change change) {
    List<Watch> woken = new ArrayList<>();
    for (String s : change.services()) {
      Set<Watch> set = byService.remove(s);
      if (set != null) {
        woken.addAll(set);
      }
    }
    fanOut(woken, Watch.Reason.CHANGED);
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
      Set<Watch> set = byService.remove(s);
      if (set != null) {
        all.addAll(set);
      }
    }
    for (Watch w : all) {
      w.end(Watch.Reason.SHUTDOWN);
    }
  }

  private void fanOut(List<Watch> watches, Watch.Reason reason) {
    for (int from = 0; from < watches.size(); from += BATCH) {
      List<Watch> batch = watches.subList(from, Math.min(watches.size(), from + BATCH));
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

  /** For tests: the services with at least one watch. */
  Map<String, Set<Watch>> index() {
    return byService;
  }
}
