package io.mesh4j.time;

/**
 * A source of monotonic time in nanoseconds. The mesh reads time only through a ticker so that
 * tests can drive decay, ejection and deadlines with a controllable clock.
 */
@FunctionalInterface
public interface Ticker {

  /** Monotonic nanoseconds; only differences between two readings are meaningful. */
  long nanoTime();

  /** The system ticker, backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
