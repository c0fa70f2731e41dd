package io.mesh4j.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.balance.RandomSource;
import io.mesh4j.time.ManualTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  private final ManualTicker ticker = new ManualTicker();

  private int withdrawAll(RetryBudget budget) {
    int n = 0;
    while (n < 100_000 && budget.tryWithdraw()) {
      n++;
    }
    return n;
  }

  @Test
  void aFreshBudgetHoldsOneSecondOfReserve() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.2, 10, ticker);
    assertThat(withdrawAll(budget)).isEqualTo(10);
    assertThat(budget.available()).isZero();
  }

  @Test
  void retriesAreAShareOfRequestsPlusTheReserve() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.2, 0, ticker);
    for (int i = 0; i < 1000; i++) {
      budget.deposit();
    }
    assertThat(withdrawAll(budget)).isEqualTo(200);
    for (int i = 0; i < 10; i++) {
      budget.deposit();
    }
    assertThat(withdrawAll(budget)).isEqualTo(2);
  }

  @Test
  void retriesThatKeepFailingPauseRetryingUntilTheyAgeOutOfTheWindow() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.2, 10, ticker);
    for (int i = 0; i < 1000; i++) {
      budget.deposit(); // 200 + 10 retries' worth of budget
    }
    for (int i = 0; i < RetryBudget.MIN_RETRY_SAMPLES - 1; i++) {
      assertThat(budget.tryWithdraw()).isTrue();
      budget.recordRetry(false);
    }
    assertThat(budget.isPaused()).as("9 failed retries are too few to judge").isFalse();
    assertThat(budget.tryWithdraw()).isTrue();
    budget.recordRetry(false);
    // Ten retries, none cured: a backend failing everything gets no more retries, budget or not.
    assertThat(budget.isPaused()).isTrue();
    assertThat(budget.tryWithdraw()).isFalse();
    assertThat(budget.available()).isZero();

    ticker.advance(Duration.ofSeconds(9)); // still inside the 10 s window
    assertThat(budget.tryWithdraw()).isFalse();
    ticker.advance(Duration.ofSeconds(2)); // the failures left the window: retries probe again
    budget.deposit();
    assertThat(budget.isPaused()).isFalse();
    assertThat(budget.tryWithdraw()).isTrue();
  }

  @Test
  void retriesThatCureTheirCallsKeepTheirBudget() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.2, 0, ticker);
    for (int i = 0; i < 1000; i++) {
      budget.deposit();
    }
    // A 20% random failure: a retry succeeds four times in five.
    for (int i = 0; i < 100; i++) {
      assertThat(budget.tryWithdraw()).isTrue();
      budget.recordRetry(i % 5 != 0);
    }
    assertThat(budget.isPaused()).isFalse();
    assertThat(withdrawAll(budget)).isEqualTo(100); // the rest of the 20% share
  }

  @Test
  void retryingPausesBelowAQuarterCured() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 1.0, 0, ticker);
    for (int i = 0; i < 1000; i++) {
      budget.deposit();
    }
    for (int i = 0; i < 20; i++) {
      budget.recordRetry(i < 5); // 5 of 20 cured: 25%, not below
    }
    assertThat(budget.isPaused()).isFalse();
    budget.recordRetry(false); // 5 of 21
    assertThat(budget.isPaused()).isTrue();
  }

  @Test
  void theReserveAccruesAtMinPerSecondUpToTheWindow() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.2, 10, ticker);
    assertThat(withdrawAll(budget)).isEqualTo(10);
    ticker.advance(Duration.ofSeconds(3)); // the window now covers 3 s: 30 in all, 10 spent
    assertThat(withdrawAll(budget)).isEqualTo(20);
    ticker.advance(Duration.ofSeconds(60)); // old withdrawals left the window; reserve capped at 10 s
    assertThat(withdrawAll(budget)).isEqualTo(100);
  }

  @Test
  void depositsAndWithdrawalsExpireAfterTheWindow() {
    RetryBudget budget = new RetryBudget(Duration.ofSeconds(10), 0.5, 0, ticker);
    for (int i = 0; i < 100; i++) {
      budget.deposit();
    }
    assertThat(withdrawAll(budget)).isEqualTo(50);
    ticker.advance(Duration.ofSeconds(11));
    assertThat(budget.tryWithdraw()).as("old deposits no longer count").isFalse();
    budget.deposit();
    budget.deposit();
    assertThat(withdrawAll(budget)).isEqualTo(1);
  }

  @Test
  void badArgumentsAreRejectedWithWhatWasExpected() {
    assertThatThrownBy(() -> new RetryBudget(Duration.ofMillis(1), 0.2, 10, ticker))
        .hasMessageContaining("ttl: PT0.001S (expected: >= 10ms)");
    assertThatThrownBy(() -> new RetryBudget(Duration.ofSeconds(1), 1.5, 10, ticker))
        .hasMessageContaining("percent: 1.5 (expected: 0..1)");
  }

  @Test
  void backoffIsExponentialWithFullJitterAndCapped() {
    Backoff backoff = new Backoff(Duration.ofMillis(25), Duration.ofMillis(250), RandomSource.seeded(1));
    assertThat(backoff.ceilingNanos(1)).isEqualTo(25_000_000L);
    assertThat(backoff.ceilingNanos(2)).isEqualTo(50_000_000L);
    assertThat(backoff.ceilingNanos(4)).isEqualTo(200_000_000L);
    assertThat(backoff.ceilingNanos(5)).isEqualTo(250_000_000L);
    assertThat(backoff.ceilingNanos(60)).isEqualTo(250_000_000L);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long w = backoff.nextNanos(3);
      assertThat(w).isBetween(0L, 100_000_000L);
      min = Math.min(min, w);
      max = Math.max(max, w);
    }
    assertThat(min).as("full jitter reaches near zero").isLessThan(5_000_000L);
    assertThat(max).as("and near the ceiling").isGreaterThan(95_000_000L);
  }
}
