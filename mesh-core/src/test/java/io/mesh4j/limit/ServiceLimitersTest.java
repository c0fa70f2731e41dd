package io.mesh4j.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.MeshFixture;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.limit.LimitExceededException.Limit;
import io.mesh4j.policy.LimitPolicy;
import io.mesh4j.policy.LimitPolicy.Concurrency;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.time.ManualTicker;
import io.mesh4j.time.Ticker;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ServiceLimitersTest {
  private static final String SERVICE = "orders";
  private final ManualTicker ticker = new ManualTicker();
  private final ServiceLimiters limiters = new ServiceLimiters(ticker);

  @Test
  void noLimitMeansNoLimiter() {
    assertThat(limiters.forService(SERVICE, LimitPolicy.DEFAULT)).isNull();
    assertThat(limiters.get(SERVICE)).isEmpty();
  }

  @Test
  void rateLimitRefusesWithATypedExceptionOnceTheBurstIsSpent() throws Exception {
    ServiceLimiter l = limiters.forService(SERVICE, LimitPolicy.rate(10, Duration.ZERO));
    assertThat(l.concurrencyLimit()).isNull();
    for (int i = 0; i < 10; i++) {
      l.acquire(); // burst defaults to the rate
    }
    assertThatThrownBy(l::acquire).isInstanceOfSatisfying(LimitExceededException.class, e -> {
      assertThat(e.limit()).isEqualTo(Limit.RATE);
      assertThat(e.value()).isEqualTo(10.0);
      assertThat(e.waited()).isZero();
    }).hasMessage("service 'orders': rate limit of 10/s (burst 10) reached: the next permit is 100 ms away and"
        + " limits.maxWait is 0s; waited 0 ms; nothing was sent");
    ticker.advance(Duration.ofMillis(100));
    l.acquire();
  }

  @Test
  void rateLimitWithAMaxWaitTooShortFailsWithoutWaiting() {
    ServiceLimiter l = limiters.forService(SERVICE, LimitPolicy.rate(1, Duration.ofMillis(300)));
    assertThat(l.rateLimit().tryAcquire()).isTrue();
    assertThatThrownBy(l::acquire).isInstanceOf(LimitExceededException.class)
        .hasMessageContaining("the next permit is 1000 ms away, beyond limits.maxWait of 300ms");
  }

  @Test
  void fixedConcurrencyLimitRefusesWhenFull() throws Exception {
    ServiceLimiter l = limiters.forService(SERVICE, LimitPolicy.concurrency(2, Duration.ZERO));
    l.acquire();
    l.acquire();
    assertThatThrownBy(l::acquire).isInstanceOfSatisfying(LimitExceededException.class, e -> {
      assertThat(e.limit()).isEqualTo(Limit.CONCURRENCY);
      assertThat(e.value()).isEqualTo(2.0);
    }).hasMessage("service 'orders': concurrency limit reached: 2 calls in flight (fixed limit 2); waited 0 ms"
        + " (limits.maxWait 0s); nothing was sent");
    l.onSuccess();
    l.acquire();
    assertThat(l.concurrencyLimit().inFlight()).isEqualTo(2);
  }

  @Test
  void adaptiveRefusalNamesItsRange() throws Exception {
    ServiceLimiter l = limiters.forService(SERVICE, LimitPolicy.adaptive(1, 2, Duration.ZERO));
    l.acquire();
    l.acquire();
    assertThatThrownBy(l::acquire).hasMessageContaining("2 calls in flight (adaptive limit 2 in [1, 2])");
  }

  @Test
  void aCallRefusedByTheConcurrencyLimitGivesItsRateTokenBack() throws Exception {
    ServiceLimiter l = limiters.forService(SERVICE,
        new LimitPolicy(10, 2, Concurrency.FIXED, 1, 1, Duration.ZERO));
    l.acquire(); // token 1 of 2, the only slot
    assertThatThrownBy(l::acquire).isInstanceOfSatisfying(LimitExceededException.class,
        e -> assertThat(e.limit()).isEqualTo(Limit.CONCURRENCY));
    l.onSuccess();
    l.acquire(); // the refunded token
    l.onSuccess();
    assertThatThrownBy(l::acquire).isInstanceOfSatisfying(LimitExceededException.class,
        e -> assertThat(e.limit()).isEqualTo(Limit.RATE));
  }

  @Test
  void interruptedWhileWaitingThrowsInterruptedIoAndKeepsTheInterrupt() throws Exception {
    ServiceLimiters real = new ServiceLimiters(Ticker.system());
    ServiceLimiter l = real.forService(SERVICE, LimitPolicy.concurrency(1, Duration.ofSeconds(30)));
    l.acquire();
    AtomicReference<Object> result = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        l.acquire();
        result.set("acquired");
      } catch (Exception e) {
        result.set(Thread.currentThread().isInterrupted() ? e : "interrupt status lost");
      }
    });
    waiter.start();
    TokenBucketTest.awaitState(waiter, Thread.State.TIMED_WAITING);
    waiter.interrupt();
    waiter.join(10_000);
    assertThat(result.get()).isInstanceOfSatisfying(InterruptedIOException.class,
        e -> assertThat(e).hasMessageContaining("interrupted while waiting").hasCauseInstanceOf(
            InterruptedException.class));
    assertThat(l.concurrencyLimit().inFlight()).isEqualTo(1);
  }

  @Test
  void aPolicyChangeKeepsThePartsWhoseSettingsDidNotChange() throws Exception {
    LimitPolicy first = new LimitPolicy(10, 5, Concurrency.ADAPTIVE, 50, 2, Duration.ZERO);
    ServiceLimiter a = limiters.forService(SERVICE, first);
    a.acquire();

    ServiceLimiter sameValue = limiters.forService(SERVICE,
        new LimitPolicy(10, 5, Concurrency.ADAPTIVE, 50, 2, Duration.ZERO));
    assertThat(sameValue).isSameAs(a);

    ServiceLimiter newWait = limiters.forService(SERVICE,
        new LimitPolicy(10, 5, Concurrency.ADAPTIVE, 50, 2, Duration.ofMillis(5)));
    assertThat(newWait).isNotSameAs(a);
    assertThat(newWait.rateLimit()).isSameAs(a.rateLimit());
    assertThat(newWait.concurrencyLimit()).isSameAs(a.concurrencyLimit());
    assertThat(newWait.concurrencyLimit().inFlight()).isEqualTo(1);

    ServiceLimiter newMax = limiters.forService(SERVICE,
        new LimitPolicy(10, 5, Concurrency.ADAPTIVE, 60, 2, Duration.ofMillis(5)));
    assertThat(newMax.rateLimit()).isSameAs(a.rateLimit());
    assertThat(newMax.concurrencyLimit()).isNotSameAs(a.concurrencyLimit());
    assertThat(newMax.concurrencyLimit().inFlight()).isZero();

    ServiceLimiter newRate = limiters.forService(SERVICE,
        new LimitPolicy(20, 5, Concurrency.ADAPTIVE, 60, 2, Duration.ofMillis(5)));
    assertThat(newRate.rateLimit()).isNotSameAs(a.rateLimit());
    assertThat(newRate.concurrencyLimit()).isSameAs(newMax.concurrencyLimit());

    assertThat(limiters.forService(SERVICE, LimitPolicy.DEFAULT)).isNull();
    assertThat(limiters.get(SERVICE)).isEmpty();
    a.onSuccess(); // an old call still releases where it came from
    assertThat(a.concurrencyLimit().inFlight()).isZero();
  }

  @Test
  void followsTheRuntimesPolicy() throws Exception {
    ServicePolicy policy = ServicePolicy.builder().limits(LimitPolicy.concurrency(3, Duration.ZERO)).build();
    try (MeshFixture f = MeshFixture.create(policy, MeshFixture.endpoints(1))) {
      ServiceRuntime rt = f.runtime();
      ServiceLimiter l = limiters.forService(rt);
      assertThat(l.concurrencyLimit().max()).isEqualTo(3);
      assertThat(limiters.forService(rt)).isSameAs(l);

      f.policies.put(MeshFixture.SERVICE, policy.toBuilder().limits(LimitPolicy.concurrency(4, Duration.ZERO)).build());
      assertThat(limiters.forService(rt).concurrencyLimit().max()).isEqualTo(4);
      assertThat(limiters.all()).hasSize(1);
    }
  }
}
