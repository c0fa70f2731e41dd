package io.mesh4j.controlplane.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.store.Change;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchHubTest {

  @Test
  void publishEndsTheWatchesOfTheChangedServicesOnly() {
    WatchHub hub = new WatchHub(Runnable::run);
    List<String> ended = new ArrayList<>();
    Watch a = new Watch(List.of("a"), r -> ended.add("a:" + r));
    Watch ab = new Watch(List.of("a", "b"), r -> ended.add("ab:" + r));
    Watch c = new Watch(List.of("c"), r -> ended.add("c:" + r));
    hub.register(a);
    hub.register(ab);
    hub.register(c);
    assertThat(hub.held()).isEqualTo(3);
    hub.publish(new Change(1, Set.of("b")));
    assertThat(ended).containsExactly("ab:CHANGED");
    // The multi-service watch left the index of "a" as well.
    assertThat(hub.watching("a")).containsExactly(a);
    hub.publish(new Change(2, Set.of("a", "x")));
    assertThat(ended).containsExactly("ab:CHANGED", "a:CHANGED");
    assertThat(hub.held()).isEqualTo(1);
    hub.close();
    assertThat(ended).containsExactly("ab:CHANGED", "a:CHANGED", "c:SHUTDOWN");
    assertThat(hub.held()).isZero();
    assertThat(hub.indexedServices()).isZero();
    assertThat(hub.register(new Watch(List.of("a"), r -> {}))).isFalse();
  }

  @Test
  void emptySetsAreSwept() {
    WatchHub hub = new WatchHub(Runnable::run);
    Watch w = new Watch(List.of("made-up-1", "made-up-2"), r -> {});
    hub.register(w);
    hub.sweepEmpty();
    assertThat(hub.indexedServices()).isEqualTo(2);
    w.end(Watch.Reason.TIMEOUT);
    hub.sweepEmpty();
    assertThat(hub.indexedServices()).isZero();
  }

  @Test
  void aWatchEndsOnceWhoeverTriesFirst() {
    AtomicInteger calls = new AtomicInteger();
    Watch w = new Watch(List.of("a"), r -> calls.incrementAndGet());
    AtomicInteger cleanups = new AtomicInteger();
    w.onEnd(cleanups::incrementAndGet);
    assertThat(w.end(Watch.Reason.TIMEOUT)).isTrue();
    assertThat(w.end(Watch.Reason.CHANGED)).isFalse();
    assertThat(calls).hasValue(1);
    assertThat(cleanups).hasValue(1);
    w.onEnd(cleanups::incrementAndGet); // added after the end: runs at once
    assertThat(cleanups).hasValue(2);
  }

  /**
   * The protocol's invariant under contention: a watcher registers, then reads the "store"; a writer
   * makes a change readable, then publishes. Every watcher either read the change or was woken.
   */
  @Test
  void registerThenReadNeverMissesAChange() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 200; round++) {
        WatchHub hub = new WatchHub(Runnable::run);
        AtomicLong storeRevision = new AtomicLong();
        ConcurrentLinkedQueue<String> missed = new ConcurrentLinkedQueue<>();
        int watchers = 50;
        CountDownLatch done = new CountDownLatch(watchers);
        CountDownLatch go = new CountDownLatch(1);
        pool.execute(() -> {
          for (int i = 0; i < watchers; i++) {
            AtomicInteger answered = new AtomicInteger();
            Watch w = new Watch(List.of("s"), r -> {
              answered.incrementAndGet();
              done.countDown();
            });
            hub.register(w);
            if (storeRevision.get() > 0) {
              w.end(Watch.Reason.CHANGED);
            }
            if (i == watchers / 2) {
              go.countDown();
            }
          }
        });
        pool.execute(() -> {
          try {
            go.await(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          storeRevision.set(1);
          hub.publish(new Change(1, Set.of("s")));
        });
        if (!done.await(10, TimeUnit.SECONDS)) {
          missed.add("round " + round + ": " + done.getCount() + " watchers never answered");
        }
        assertThat(missed).isEmpty();
        assertThat(hub.held()).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
