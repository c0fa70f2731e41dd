package io.mesh4j.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that only moves when told to: for tests and simulations. Thread-safe. */
public final class ManualTicker implements Ticker {
  private final AtomicLong now = new AtomicLong();

  @Override
  public long nanoTime() {
    return now.get();
  }

  /** Moves the clock forward by {@code amount}. */
  public ManualTicker advance(Duration amount) {
    if (amount.isNegative()) {
      throw new IllegalArgumentException("amount: " + amount + " (expected: >= 0)");
    }
    now.addAndGet(amount.toNanos());
    return this;
  }
}
