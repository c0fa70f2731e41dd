package io.mesh4j.deadline;

import io.mesh4j.time.Ticker;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Collection;
import java.util.List;

/**
 * Carries the {@link Deadline} of a context across a process boundary as the time remaining, in whole
 * milliseconds, in the {@value #HEADER} header (like gRPC's {@code grpc-timeout}): clocks of two hosts
 * are never compared. The receiver's deadline is "now + remaining", so it also absorbs network time.
 *
 * <p>Compose it with the W3C propagators, e.g.
 * {@code TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), DeadlinePropagator.create())}.
 */
public final class DeadlinePropagator implements TextMapPropagator {
  /** Header holding the time left, in milliseconds, as a decimal integer. */
  public static final String HEADER = "mesh-timeout-ms";

  /** Largest value accepted on extract (about 100 days), so a bogus header cannot overflow a clock. */
  static final long MAX_MILLIS = 100L * 24 * 3600 * 1000;

  private static final List<String> FIELDS = List.of(HEADER);

  private final Ticker ticker;

  private DeadlinePropagator(Ticker ticker) {
    this.ticker = ticker;
  }

  /** A propagator on the system ticker. */
  public static DeadlinePropagator create() {
    return new DeadlinePropagator(Ticker.system());
  }

  /** A propagator that creates extracted deadlines on {@code ticker}. */
  public static DeadlinePropagator create(Ticker ticker) {
    return new DeadlinePropagator(ticker);
  }

  @Override
  public Collection<String> fields() {
    return FIELDS;
  }

  @Override
  public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
    Deadline deadline = Deadline.fromContext(context);
    if (deadline == null || carrier == null) {
      return;
    }
    // Round down and never send 0 while time is left: "0" means already expired to the receiver.
    long nanos = deadline.remainingNanos();
    long millis = nanos <= 0 ? 0 : Math.max(1, nanos / 1_000_000);
    setter.set(carrier, HEADER, Long.toString(millis));
  }

  @Override
  public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
    if (carrier == null) {
      return context;
    }
    String value = getter.get(carrier, HEADER);
    if (value == null) {
      return context;
    }
    long millis = parseMillis(value.trim());
    if (millis < 0) {
      return context; // malformed: ignore rather than fail the inbound request
    }
    Deadline inherited = Deadline.afterNanos(millis * 1_000_000, ticker);
    // A locally set deadline that is earlier still wins.
    return context.with(Deadline.earliest(Deadline.fromContext(context), inherited));
  }

  /** The parsed value, or -1 when the header is not a decimal integer in 0..MAX_MILLIS. */
  static long parseMillis(String value) {
    if (value.isEmpty() || value.length() > 12) {
      return -1;
    }
    long result = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      result = result * 10 + (c - '0');
    }
    return result <= MAX_MILLIS ? result : -1;
  }

  @Override
  public String toString() {
    return "DeadlinePropagator{" + HEADER + "}";
  }
}
