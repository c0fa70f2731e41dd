package io.mesh4j.deadline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.time.ManualTicker;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Deadline: time left on a ticker, ordering, and the OpenTelemetry Context. */
class DeadlineTest {
  private final ManualTicker ticker = new ManualTicker();

  @Test
  void remainingShrinksAsTheTickerAdvances() {
    Deadline d = Deadline.after(Duration.ofSeconds(1), ticker);
    assertThat(d.remaining()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.isExpired()).isFalse();

    ticker.advance(Duration.ofMillis(400));
    assertThat(d.remaining()).isEqualTo(Duration.ofMillis(600));
    assertThat(d.remainingNanos()).isEqualTo(600_000_000L);

    ticker.advance(Duration.ofMillis(600).minusNanos(1));
    assertThat(d.isExpired()).isFalse();
    assertThat(d.remainingNanos()).isEqualTo(1);
  }

  @Test
  void expiresExactlyAtTheDeadlineAndRemainingNeverGoesNegative() {
    Deadline d = Deadline.after(Duration.ofMillis(100), ticker);

    ticker.advance(Duration.ofMillis(100));
    assertThat(d.isExpired()).isTrue();
    assertThat(d.remaining()).isEqualTo(Duration.ZERO);

    ticker.advance(Duration.ofMillis(50));
    assertThat(d.remainingNanos()).isEqualTo(-50_000_000L);
    assertThat(d.remaining()).isEqualTo(Duration.ZERO);
    assertThat(d.toString()).isEqualTo("Deadline[expired 50 ms ago]");
  }

  @Test
  void zeroOrNegativeTimeoutIsAlreadyExpired() {
    assertThat(Deadline.after(Duration.ZERO, ticker).isExpired()).isTrue();
    assertThat(Deadline.after(Duration.ofSeconds(-1), ticker).isExpired()).isTrue();
    assertThat(Deadline.afterNanos(1, ticker).isExpired()).isFalse();
  }

  @Test
  void hugeTimeoutSaturatesInsteadOfOverflowingIntoThePast() {
    ticker.advance(Duration.ofDays(1));
    Deadline forever = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE), ticker);
    Deadline nanosForever = Deadline.afterNanos(Long.MAX_VALUE, ticker);

    assertThat(forever.isExpired()).isFalse();
    assertThat(nanosForever.isExpired()).isFalse();
    ticker.advance(Duration.ofDays(365));
    assertThat(forever.isExpired()).isFalse();
    assertThat(forever.remainingNanos()).isPositive();
  }

  @Test
  void usesTheTickerItWasCreatedOn() {
    ManualTicker other = new ManualTicker();
    Deadline d = Deadline.after(Duration.ofSeconds(1), ticker);

    other.advance(Duration.ofSeconds(5));

    assertThat(d.isExpired()).isFalse();
    assertThat(d.toString()).isEqualTo("Deadline[1000 ms left]");
  }

  @Test
  void earliestPicksTheEarlierAndToleratesNulls() {
    Deadline soon = Deadline.after(Duration.ofMillis(100), ticker);
    Deadline late = Deadline.after(Duration.ofMillis(200), ticker);

    assertThat(Deadline.earliest(soon, late)).isSameAs(soon);
    assertThat(Deadline.earliest(late, soon)).isSameAs(soon);
    assertThat(Deadline.earliest(null, late)).isSameAs(late);
    assertThat(Deadline.earliest(soon, null)).isSameAs(soon);
    assertThat(Deadline.earliest(null, null)).isNull();
    assertThat(soon).isLessThan(late);
    assertThat(soon.compareTo(Deadline.after(Duration.ofMillis(100), ticker))).isZero();
  }

  @Test
  void saturatedDeadlineSortsAfterEveryRealOne() {
    ManualTicker nearWrap = new ManualTicker();
    nearWrap.advance(Duration.ofNanos(Long.MAX_VALUE - 50));
    Deadline beforeWrap = Deadline.afterNanos(10, nearWrap); // MAX - 40
    Deadline afterWrap = Deadline.afterNanos(100, nearWrap); // wraps past MAX: saturated

    assertThat(Deadline.earliest(afterWrap, beforeWrap)).isSameAs(beforeWrap);
  }

  @Test
  void isStoredInAndReadFromAContext() {
    Deadline d = Deadline.after(Duration.ofSeconds(1), ticker);

    assertThat(Deadline.fromContext(Context.root())).isNull();
    Context ctx = Context.root().with(d);
    assertThat(Deadline.fromContext(ctx)).isSameAs(d);
    assertThat(Deadline.fromContext(Context.root())).as("contexts are immutable").isNull();
  }

  @Test
  void makeCurrentSetsItForTheScopeOnly() {
    Deadline d = Deadline.after(Duration.ofSeconds(1), ticker);
    assertThat(Deadline.current()).isNull();

    Scope outer = d.makeCurrent();
    try {
      assertThat(Deadline.current()).isSameAs(d);
      Deadline inner = Deadline.after(Duration.ofMillis(10), ticker);
      Scope nested = inner.makeCurrent();
      try {
        assertThat(Deadline.current()).isSameAs(inner);
      } finally {
        nested.close();
      }
      assertThat(Deadline.current()).isSameAs(d);
    } finally {
      outer.close();
    }
    assertThat(Deadline.current()).isNull();
  }

  @Test
  void requiresTimeoutAndTicker() {
    assertThatThrownBy(() -> Deadline.after(null, ticker)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Deadline.after(Duration.ofSeconds(1), null)).isInstanceOf(NullPointerException.class);
  }
}
