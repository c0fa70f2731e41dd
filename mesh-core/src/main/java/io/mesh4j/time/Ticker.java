package io.mesh4j.time;

import java.util.concurrent.locks.LockSupport;

/**
 * A source of monotonic time in nanoseconds, and the way the mesh waits. The mesh reads time through a
 * ticker, and on HTTP waits for it through one too (retry backoff, {@code Retry-After}, injected delays;
 * the hedge delay is read on it), so that tests drive decay, ejection, deadlines and waits with a
 * {@link ManualTicker} and assert exact times instead of wall-clock windows. (Still in real time: the
 * call's deadline timer, waits for room under a concurrency limit, and gRPC's own timers.)
 */
@FunctionalInterface
public interface Ticker {
  /** The longest one {@link #park} lasts in real time, so that a waiting caller notices a cancellation. */
  long MAX_PARK_NANOS = 10_000_000L;

  /** Monotonic nanoseconds; only differences between two readings are meaningful. */
  long nanoTime();

  /**
   * Blocks the calling thread for up to {@code nanos} of this ticker's time, and never more than
   * {@link #MAX_PARK_NANOS} of real time. It may return earlier (spuriously, or on an interrupt, whose
   * flag it leaves set): a caller waits in a loop that re-reads {@link #nanoTime()} and checks whether it
   * should still wait. The default parks the thread in real time, which suits a ticker that follows it.
   */
  default void park(long nanos) {
    if (nanos > 0) {
      LockSupport.parkNanos(Math.min(nanos, MAX_PARK_NANOS));
    }
  }

  /** The system ticker, backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
