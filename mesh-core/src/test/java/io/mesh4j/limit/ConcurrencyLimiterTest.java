package io.mesh4j.limit;

import static io.mesh4j.limit.TokenBucketTest.awaitQuietly;
import static io.mesh4j.limit.TokenBucketTest.awaitState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ConcurrencyLimiterTest {

  @Test
  void fixedLimitNeverExceededUnderEightHammeringThreads() throws Exception {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(3);
    Hammer h = hammer(limiter, 8, 5_000, i -> limiter.onSuccess());
    assertThat(h.maxObserved.get()).isLessThanOrEqualTo(3);
    // Every waiting call (half of them) got in; some trying ones found it full.
    assertThat(h.admitted.get()).isBetween(8 * 2_500, 8 * 5_000);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void adaptiveLimitNeverExceededWhileItMoves() throws Exception {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.adaptive(2, 6);
    // Every fifth call is a drop, so the limit keeps moving between 2 and 6 under the threads' feet.
    Hammer h = hammer(limiter, 8, 5_000, i -> {
      if (i % 5 == 0) {
        limiter.onDropped();
      } else {
        limiter.onSuccess();
      }
    });
    assertThat(h.maxObserved.get()).isLessThanOrEqualTo(6);
    assertThat(limiter.limit()).isBetween(2, 6);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void tryAcquireFailsWhenFullAndSucceedsAfterARelease() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(2);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(2);
    limiter.onIgnored();
    assertThat(limiter.tryAcquire()).isTrue();
  }

  @Test
  void acquireWaitsForASlotToBeFreed() throws Exception {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(1);
    assertThat(limiter.tryAcquire()).isTrue();
    AtomicReference<Object> result = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        result.set(limiter.acquire(Duration.ofSeconds(30)));
      } catch (InterruptedException e) {
        result.set(e);
      }
    });
    waiter.start();
    awaitState(waiter, Thread.State.TIMED_WAITING);
    limiter.onSuccess();
    waiter.join(10_000);
    assertThat(result.get()).isEqualTo(true);
    assertThat(limiter.inFlight()).isEqualTo(1);
  }

  @Test
  void acquireGivesUpAfterMaxWait() throws Exception {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(1);
    assertThat(limiter.tryAcquire()).isTrue();
    long start = System.nanoTime();
    assertThat(limiter.acquire(Duration.ofMillis(50))).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(45));
    assertThat(limiter.acquire(Duration.ZERO)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(1);
  }

  @Test
  void interruptedWaiterThrows() throws Exception {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(1);
    assertThat(limiter.tryAcquire()).isTrue();
    AtomicReference<Object> result = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        result.set(limiter.acquire(Duration.ofSeconds(30)));
      } catch (InterruptedException e) {
        result.set(e);
      }
    });
    waiter.start();
    awaitState(waiter, Thread.State.TIMED_WAITING);
    waiter.interrupt();
    waiter.join(10_000);
    assertThat(result.get()).isInstanceOf(InterruptedException.class);
    assertThat(limiter.inFlight()).isEqualTo(1);
  }

  @Test
  void adaptiveStartsAtTwentyClampedIntoItsRange() {
    assertThat(ConcurrencyLimiter.adaptive(1, 100).limit()).isEqualTo(20);
    assertThat(ConcurrencyLimiter.adaptive(1, 8).limit()).isEqualTo(8);
    assertThat(ConcurrencyLimiter.adaptive(30, 100).limit()).isEqualTo(30);
  }

  @Test
  void adaptiveGrowsByOnePerWindowOfSuccessesUpToMax() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.adaptive(1, 25);
    int held = hold(limiter, 15); // at least half the limit in flight: the limit is in use
    int successes = 0;
    while (limiter.limit() < 21 && successes < 100) {
      assertThat(limiter.tryAcquire()).isTrue();
      limiter.onSuccess();
      successes++;
    }
    // +1/limit per success: 21 successes from 20 (each step a little smaller than 1/20).
    assertThat(successes).isEqualTo(21);
    for (int i = 0; i < 1_000; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
      limiter.onSuccess();
    }
    assertThat(limiter.limit()).isEqualTo(25);
    assertThat(limiter.limitValue()).isEqualTo(25.0);
    release(limiter, held);
  }

  @Test
  void adaptiveDoesNotGrowWhenTheLimitIsNotInUse() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.adaptive(1, 100);
    for (int i = 0; i < 1_000; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
      limiter.onSuccess(); // one in flight of a limit of 20
    }
    assertThat(limiter.limitValue()).isEqualTo(20.0);
  }

  @Test
  void adaptiveShrinksByTenPercentPerDropDownToMin() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.adaptive(3, 100);
    double expected = 20;
    for (int i = 0; i < 40; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
      limiter.onDropped();
      expected = Math.max(3, expected * 0.9);
      assertThat(limiter.limitValue()).isEqualTo(expected);
    }
    assertThat(limiter.limit()).isEqualTo(3);
    // Shrunk below what is in flight: nothing new gets in until enough calls end.
    int held = hold(limiter, 3);
    assertThat(limiter.tryAcquire()).isFalse();
    release(limiter, held);
  }

  @Test
  void adaptiveIgnoredCallsChangeNothing() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.adaptive(1, 100);
    int held = hold(limiter, 15);
    limiter.onIgnored();
    assertThat(limiter.limitValue()).isEqualTo(20.0);
    assertThat(limiter.inFlight()).isEqualTo(14);
    release(limiter, held - 1);
  }

  @Test
  void releasingMoreThanAcquiredIsAnError() {
    ConcurrencyLimiter limiter = ConcurrencyLimiter.fixed(1);
    assertThatThrownBy(limiter::onSuccess).isInstanceOf(IllegalStateException.class);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> ConcurrencyLimiter.fixed(0)).hasMessage("max: 0 (expected: >= 1)");
    assertThatThrownBy(() -> ConcurrencyLimiter.adaptive(0, 5)).hasMessage("min: 0 (expected: >= 1)");
    assertThatThrownBy(() -> ConcurrencyLimiter.adaptive(5, 4)).hasMessage("max: 4 (expected: >= min (5))");
    assertThatThrownBy(() -> ConcurrencyLimiter.adaptive(1, 4, 5)).hasMessage("initial: 5 (expected: 1..4)");
  }

  private static int hold(ConcurrencyLimiter limiter, int n) {
    for (int i = 0; i < n; i++) {
      assertThat(limiter.tryAcquire()).as("slot %s", i).isTrue();
    }
    return n;
  }

  private static void release(ConcurrencyLimiter limiter, int n) {
    for (int i = 0; i < n; i++) {
      limiter.onIgnored();
    }
  }

  private record Hammer(AtomicInteger maxObserved, AtomicInteger admitted) {}

  private interface Release {
    void release(int iteration);
  }

  /**
   * {@code threads} threads each make {@code calls} calls: half take a slot with {@code tryAcquire},
   * half wait for one; inside, each counts itself in a shared counter whose peak is recorded.
   */
  private static Hammer hammer(ConcurrencyLimiter limiter, int threads, int calls, Release release)
      throws InterruptedException {
    AtomicInteger inside = new AtomicInteger();
    Hammer h = new Hammer(new AtomicInteger(), new AtomicInteger());
    AtomicBoolean failed = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> list = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        awaitQuietly(start);
        try {
          for (int i = 0; i < calls; i++) {
            boolean got = i % 2 == 0 ? limiter.tryAcquire() : limiter.acquire(Duration.ofSeconds(10));
            if (!got) {
              if (i % 2 != 0) {
                failed.set(true); // a waiting call should always get in within 10 s here
              }
              continue;
            }
            int now = inside.incrementAndGet();
            h.maxObserved.accumulateAndGet(now, Math::max);
            for (int spin = ThreadLocalRandom.current().nextInt(50); spin > 0; spin--) {
              Thread.onSpinWait();
            }
            inside.decrementAndGet();
            h.admitted.incrementAndGet();
            release.release(i);
          }
        } catch (InterruptedException e) {
          failed.set(true);
        }
      });
      thread.start();
      list.add(thread);
    }
    start.countDown();
    for (Thread thread : list) {
      thread.join(60_000);
      assertThat(thread.isAlive()).as("thread finished").isFalse();
    }
    assertThat(failed.get()).as("a waiting acquire failed").isFalse();
    return h;
  }
}
