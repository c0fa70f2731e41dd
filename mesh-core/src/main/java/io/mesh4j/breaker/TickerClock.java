package io.mesh4j.breaker;

import io.mesh4j.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} that moves with a {@link Ticker}, so that resilience4j's time-based sliding window
 * and its open-state wait follow the mesh's clock (a {@link io.mesh4j.time.ManualTicker} in tests).
 * The wall-clock anchor only gives the instants a plausible value; resilience4j uses differences.
 */
final class TickerClock extends Clock {
  private final Ticker ticker;
  private final long anchorNanos;
  private final Instant anchor;

  TickerClock(Ticker ticker) {
    this.ticker = ticker;
    this.anchorNanos = ticker.nanoTime();
    this.anchor = Instant.now();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (!ZoneOffset.UTC.equals(zone)) {
      throw new UnsupportedOperationException("zone: " + zone + " (expected: UTC)");
    }
    return this;
  }

  @Override
  public Instant instant() {
    return anchor.plusNanos(ticker.nanoTime() - anchorNanos);
  }

  @Override
  public long millis() {
    return anchor.toEpochMilli() + (ticker.nanoTime() - anchorNanos) / 1_000_000;
  }
}
