package io.mesh4j.time;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that only moves when told to: for tests and simulations. Thread-safe.
 *
 * <p>A thread waiting on it ({@link #park}) wakes when {@link #advance} moves the clock to or past the
 * time it waits for, so a test sees the mesh wait exactly as long as it should:
 *
 * <pre>{@code
 * // the call waits out a Retry-After of 30 s, in the ticker's time
 * await().until(() -> ticker.wakeTimes().contains(Duration.ofSeconds(30).toNanos()));
 * ticker.advance(Duration.ofSeconds(30)); // and the retry is sent now
 * }</pre>
 */
public final class ManualTicker implements Ticker {
  private final AtomicLong now = new AtomicLong();
  /** Guards nothing but the wait/notify handshake between park and advance. */
  private final Object moved = new Object();
  /** The time each parked thread waits for. */
  private final Map<Thread, Long> parked = new ConcurrentHashMap<>();

  @Override
  public long nanoTime() {
    return now.get();
  }

  /** Moves the clock forward by {@code amount}, waking the threads whose wait it ends. */
  public ManualTicker advance(Duration amount) {
    if (amount.isNegative()) {
      throw new IllegalArgumentException("amount: " + amount + " (expected: >= 0)");
    }
    now.addAndGet(amount.toNanos());
    synchronized (moved) {
      moved.notifyAll();
    }
    return this;
  }

  /**
   * Waits until the clock reaches now + {@code nanos} (moved by {@link #advance}) or {@link
   * #MAX_PARK_NANOS} of real time pass, whichever is first.
   */
  @Override
  public void park(long nanos) {
    if (nanos <= 0) {
      return;
    }
    long wakeAt = now.get() + nanos;
    Thread self = Thread.currentThread();
    parked.put(self, wakeAt);
    try {
      synchronized (moved) {
        // Checked under the monitor that advance() notifies under: no wake-up is lost in between.
        if (now.get() - wakeAt < 0) {
          moved.wait(MAX_PARK_NANOS / 1_000_000L);
        }
      }
    } catch (InterruptedException e) {
      self.interrupt(); // the caller checks the flag
    } finally {
      parked.remove(self);
    }
  }

  /**
   * The times ({@link #nanoTime()} values) that the threads parked on this ticker right now wait for,
   * earliest first. A waiting thread re-parks every {@link #MAX_PARK_NANOS} of real time, so poll this
   * (Awaitility) rather than read it once.
   */
  public List<Long> wakeTimes() {
    List<Long> times = new ArrayList<>(parked.values());
    Collections.sort(times);
    return times;
  }
}
