package io.mesh4j.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.time.ManualTicker;
import io.mesh4j.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private final ManualTicker ticker = new ManualTicker();

  @Test
  void startsFullWithExactlyBurstTokens() {
    TokenBucket bucket = TokenBucket.create(10, 5, ticker);
    assertThat(bucket.available()).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      assertThat(bucket.tryAcquire()).as("token %s", i).isTrue();
    }
    assertThat(bucket.tryAcquire()).isFalse();
    assertThat(bucket.available()).isZero();
    assertThat(bucket.timeUntilAvailable()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void refillsAtExactlyTheRate() {
    TokenBucket bucket = TokenBucket.create(10, 5, ticker);
    drain(bucket);
    ticker.advance(Duration.ofMillis(99));
    assertThat(bucket.tryAcquire()).isFalse();
    assertThat(bucket.timeUntilAvailable()).isEqualTo(Duration.ofMillis(1));
    ticker.advance(Duration.ofMillis(1));
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
  }

  @Test
  void neverHoldsMoreThanBurstAfterIdling() {
    TokenBucket bucket = TokenBucket.create(10, 5, ticker);
    drain(bucket);
    ticker.advance(Duration.ofSeconds(60));
    assertThat(bucket.available()).isEqualTo(5);
    assertThat(drain(bucket)).isEqualTo(5);
  }

  @Test
  void overOneSecondAdmitsBurstPlusRate() {
    TokenBucket bucket = TokenBucket.create(50, 50, ticker);
    int admitted = 0;
    for (int ms = 0; ms <= 1000; ms++) {
      while (bucket.tryAcquire()) {
        admitted++;
      }
      ticker.advance(Duration.ofMillis(1));
    }
    assertThat(admitted).isEqualTo(50 + 50);
  }

  @Test
  void aBurstOfOneSpacesCallsByTheInterval() {
    TokenBucket bucket = TokenBucket.create(4, 1, ticker);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
    ticker.advance(Duration.ofMillis(250));
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.tryAcquire()).isFalse();
  }

  @Test
  void concurrentTakersGetExactlyTheTokensThereAre() throws Exception {
    TokenBucket bucket = TokenBucket.create(1000, 700, ticker); // the clock does not move: 700 tokens in all
    AtomicInteger taken = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread = new Thread(() -> {
        awaitQuietly(start);
        for (int i = 0; i < 1000; i++) {
          if (bucket.tryAcquire()) {
            taken.incrementAndGet();
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(10_000);
      assertThat(thread.isAlive()).isFalse();
    }
    assertThat(taken.get()).isEqualTo(700);
  }

  @Test
  void acquireFailsAtOnceWhenTheNextTokenIsBeyondMaxWait() throws Exception {
    TokenBucket bucket = TokenBucket.create(10, 1, ticker);
    drain(bucket);
    assertThat(bucket.acquire(Duration.ZERO)).isFalse();
    assertThat(bucket.acquire(Duration.ofMillis(99))).isFalse();
    // Nothing was reserved by the refusals.
    assertThat(bucket.timeUntilAvailable()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void acquireWaitsForTheNextTokenWithinMaxWait() throws Exception {
    TokenBucket bucket = TokenBucket.create(20, 1, Ticker.system());
    long start = System.nanoTime();
    boolean first = bucket.tryAcquire();
    boolean second = bucket.acquire(Duration.ofSeconds(2));
    long elapsed = System.nanoTime() - start;
    assertThat(first).isTrue();
    assertThat(second).isTrue();
    // The second token comes one interval (50 ms) after the first was taken.
    assertThat(Duration.ofNanos(elapsed)).isBetween(Duration.ofMillis(49), Duration.ofSeconds(2));
  }

  @Test
  void interruptedWaitThrowsAndGivesTheTokenBack() throws Exception {
    TokenBucket bucket = TokenBucket.create(1, 1, Ticker.system());
    assertThat(bucket.tryAcquire()).isTrue();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        bucket.acquire(Duration.ofSeconds(30));
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    waiter.start();
    awaitState(waiter, Thread.State.TIMED_WAITING);
    waiter.interrupt();
    waiter.join(10_000);
    assertThat(waiter.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    // Refunded: the next token is at most one interval away, not two.
    assertThat(bucket.timeUntilAvailable()).isLessThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> TokenBucket.create(0, 1, ticker)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ratePerSecond: 0.0 (expected: > 0)");
    assertThatThrownBy(() -> TokenBucket.create(Double.NaN, 1, ticker)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenBucket.create(5, 0, ticker)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("burst: 0 (expected: >= 1)");
  }

  @Test
  void tinyRatesDoNotOverflow() {
    TokenBucket bucket = TokenBucket.create(1e-300, 1_000_000, ticker);
    assertThat(bucket.tryAcquire()).isTrue();
    assertThat(bucket.available()).isBetween(1, 999_999);
    assertThat(bucket.timeUntilAvailable()).isZero();
  }

  private static int drain(TokenBucket bucket) {
    int n = 0;
    while (n < 1_000_000 && bucket.tryAcquire()) {
      n++;
    }
    return n;
  }

  static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Polls (bounded, 10 s) until {@code thread} is parked in {@code state}. */
  static void awaitState(Thread thread, Thread.State state) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (thread.getState() != state) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(thread + " never reached " + state + " (is " + thread.getState() + ")");
      }
      Thread.onSpinWait();
    }
  }
}
