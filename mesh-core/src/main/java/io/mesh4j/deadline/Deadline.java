package io.mesh4j.deadline;

import io.mesh4j.time.Ticker;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.ImplicitContextKeyed;
import java.time.Duration;
import java.util.Objects;

/**
 * A point in time by which a logical call must finish, carried in the OpenTelemetry {@link Context}
 * so that every outgoing call made while handling a request inherits what is left of its caller's time.
 *
 * <pre>{@code
 * try (Scope s = Deadline.after(Duration.ofMillis(300)).makeCurrent()) {
 *   client.newCall(request).execute(); // fails at once if the 300 ms have passed
 * }
 * }</pre>
 *
 * <p>Immutable. The instant is a {@link Ticker} reading, so it is only compared with readings of
 * the same ticker; across processes the {@link DeadlinePropagator} sends the time remaining instead.
 */
public final class Deadline implements ImplicitContextKeyed, Comparable<Deadline> {
  private static final ContextKey<Deadline> KEY = ContextKey.named("mesh4j-deadline");

  private final long deadlineNanos;
  private final Ticker ticker;

  private Deadline(long deadlineNanos, Ticker ticker) {
    this.deadlineNanos = deadlineNanos;
    this.ticker = ticker;
  }

  /** A deadline {@code timeout} from now on the system ticker. */
  public static Deadline after(Duration timeout) {
    return after(timeout, Ticker.system());
  }

  /** A deadline {@code timeout} from now on {@code ticker}. */
  public static Deadline after(Duration timeout, Ticker ticker) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(ticker, "ticker");
    return afterNanos(saturatedNanos(timeout), ticker);
  }

  /** A deadline {@code nanos} nanoseconds from now on {@code ticker}. */
  public static Deadline afterNanos(long nanos, Ticker ticker) {
    long now = ticker.nanoTime();
    long at = now + nanos;
    if (nanos > 0 && at < now) {
      at = Long.MAX_VALUE; // saturate instead of overflowing into the past
    }
    return new Deadline(at, ticker);
  }

  /** The deadline in {@code context}, or null when it carries none. */
  public static Deadline fromContext(Context context) {
    return context.get(KEY);
  }

  /** The deadline of the current context, or null. */
  public static Deadline current() {
    return Context.current().get(KEY);
  }

  /** The earlier of two deadlines; either may be null. */
  public static Deadline earliest(Deadline a, Deadline b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Nanoseconds left before this deadline; zero or negative once it has passed. */
  public long remainingNanos() {
    return deadlineNanos - ticker.nanoTime();
  }

  /** Time left before this deadline, never negative. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, remainingNanos()));
  }

  /** Whether this deadline has passed. */
  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  @Override
  public Context storeInContext(Context context) {
    return context.with(KEY, this);
  }

  @Override
  public int compareTo(Deadline other) {
    return Long.compare(deadlineNanos - other.deadlineNanos, 0);
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  @Override
  public String toString() {
    long ms = remainingNanos() / 1_000_000;
    return ms > 0 ? "Deadline[" + ms + " ms left]" : "Deadline[expired " + -ms + " ms ago]";
  }
}
