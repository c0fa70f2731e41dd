package io.mesh4j.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Waiting on a manual ticker: a wait ends when the clock is moved past it, and its end is visible. */
class ManualTickerTest {

  /** Waits {@code nanos} of the ticker's time the way the mesh does: park in a loop, re-reading the time. */
  private static void waitFor(Ticker ticker, long nanos) {
    long end = ticker.nanoTime() + nanos;
    for (long left = nanos; left > 0 && !Thread.currentThread().isInterrupted(); left = end - ticker.nanoTime()) {
      ticker.park(left);
    }
  }

  @Test
  void aWaitEndsWhenTheClockIsMovedPastItAndNotBefore() throws Exception {
    ManualTicker ticker = new ManualTicker();
    ticker.advance(Duration.ofSeconds(1));
    CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> waitFor(ticker, Duration.ofSeconds(5).toNanos()));
    await().atMost(Duration.ofSeconds(10)).until(() -> ticker.wakeTimes().equals(List.of(Duration.ofSeconds(6).toNanos())));

    ticker.advance(Duration.ofMillis(4_999)); // 1 ms short: the waiter parks again for the rest
    await().atMost(Duration.ofSeconds(10)).until(() -> ticker.wakeTimes().equals(List.of(Duration.ofSeconds(6).toNanos())));
    assertThat(waiting).isNotDone();

    ticker.advance(Duration.ofMillis(1));
    waiting.get(10, TimeUnit.SECONDS);
    assertThat(ticker.wakeTimes()).isEmpty();
  }

  @Test
  void aParkReturnsAtOnceForNothingAndKeepsAnInterrupt() {
    ManualTicker ticker = new ManualTicker();
    ticker.park(0);
    ticker.park(-5);
    Thread.currentThread().interrupt();
    try {
      ticker.park(Duration.ofHours(1).toNanos()); // returns (interrupted), and leaves the flag set
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(ticker.wakeTimes()).isEmpty();
  }
}
