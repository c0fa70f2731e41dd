package io.mesh4j.breaker;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.mesh4j.MeshFixture;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.telemetry.MeshTelemetry;
import io.mesh4j.time.ManualTicker;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The breakers on a manual clock: no sleeps, every transition driven by the test. */
class ServiceBreakersTest {
  private static final String SERVICE = "orders";
  /** Opens at 50% failures over at least 4 calls in 10 s, for 10 s; 2 trial calls. */
  private static final CircuitBreakerPolicy POLICY = CircuitBreakerPolicy.builder()
      .failureRateThreshold(50).minimumCalls(4).window(Duration.ofSeconds(10))
      .openDuration(Duration.ofSeconds(10)).halfOpenCalls(2).build();

  private final ManualTicker ticker = new ManualTicker();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();
  private final ServiceBreakers breakers = ServiceBreakers.builder()
      .ticker(ticker)
      .meter(meterProvider.get(MeshTelemetry.SCOPE))
      .eventLog(events::add)
      .build();

  @AfterEach
  void close() {
    meterProvider.close();
  }

  private void call(ServiceBreaker b, Outcome outcome, Duration took) throws CircuitOpenException {
    long start = b.acquirePermission();
    ticker.advance(took);
    b.onFinish(start, outcome);
  }

  private void calls(ServiceBreaker b, int n, Outcome outcome) throws CircuitOpenException {
    for (int i = 0; i < n; i++) {
      call(b, outcome, Duration.ofMillis(5));
    }
  }

  private ServiceBreaker openBreaker() throws CircuitOpenException {
    ServiceBreaker b = breakers.forService(SERVICE, POLICY);
    calls(b, 2, Outcome.SUCCESS);
    calls(b, 2, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    return b;
  }

  @Test
  void opensWhenTheFailureRateReachesTheThresholdOverMinimumCalls() throws Exception {
    ServiceBreaker b = breakers.forService(SERVICE, POLICY);
    calls(b, 2, Outcome.SUCCESS);
    calls(b, 1, Outcome.FAILURE);
    assertThat(b.state()).as("3 calls: below minimumCalls").isEqualTo(State.CLOSED);

    calls(b, 1, Outcome.TIMEOUT); // timeouts count as failures

    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(breakers.state(SERVICE)).contains(State.OPEN);
    assertThat(events).containsExactly("service 'orders': circuit breaker CLOSED -> OPEN (failure rate 50% >= 50%"
        + " over the last 10s); calls fail fast for 10.0 s");
  }

  @Test
  void failsFastWithATypedExceptionThatSaysWhyAndForHowLong() throws Exception {
    ServiceBreaker b = openBreaker();
    ticker.advance(Duration.ofMillis(200));

    assertThatThrownBy(b::acquirePermission)
        .isInstanceOfSatisfying(CircuitOpenException.class, e -> {
          assertThat(e.service()).isEqualTo(SERVICE);
          assertThat(e.state()).isEqualTo(State.OPEN);
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(9_800));
        })
        .hasMessage("service 'orders': circuit breaker is OPEN (failure rate 50% >= 50% over the last 10s);"
            + " calls fail fast for up to 9.8 s");
  }

  @Test
  void failuresOlderThanTheWindowDoNotCount() throws Exception {
    ServiceBreaker b = breakers.forService(SERVICE, POLICY);
    calls(b, 3, Outcome.FAILURE);
    ticker.advance(Duration.ofSeconds(11));
    calls(b, 3, Outcome.SUCCESS);
    calls(b, 1, Outcome.FAILURE); // 1 of 4 in the window
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void halfOpensAfterOpenDurationAndClosesAfterSuccessfulTrials() throws Exception {
    ServiceBreaker b = openBreaker();
    ticker.advance(Duration.ofSeconds(10).plusMillis(1));

    long first = b.acquirePermission(); // the wait is over: this is a trial call
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    long second = b.acquirePermission();
    assertThatThrownBy(b::acquirePermission).isInstanceOfSatisfying(CircuitOpenException.class, e -> {
      assertThat(e.state()).isEqualTo(State.HALF_OPEN);
      assertThat(e.retryAfter()).isZero();
      assertThat(e.getMessage()).contains("2 trial call(s) are in flight");
    });

    b.onFinish(first, Outcome.SUCCESS);
    b.onFinish(second, Outcome.SUCCESS);

    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(events).hasSize(3);
    assertThat(events.get(1)).isEqualTo("service 'orders': circuit breaker OPEN -> HALF_OPEN");
    assertThat(events.get(2)).isEqualTo("service 'orders': circuit breaker HALF_OPEN -> CLOSED");
  }

  @Test
  void aFailedTrialOpensItAgain() throws Exception {
    ServiceBreaker b = openBreaker();
    ticker.advance(Duration.ofSeconds(11));
    calls(b, 1, Outcome.SUCCESS);
    calls(b, 1, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(events.get(2)).isEqualTo("service 'orders': circuit breaker HALF_OPEN -> OPEN (failure rate 50% >= 50%"
        + " over 2 trial calls); calls fail fast for 10.0 s");
  }

  @Test
  void aCancelledTrialFreesItsSlot() throws Exception {
    ServiceBreaker b = openBreaker();
    ticker.advance(Duration.ofSeconds(11));
    long first = b.acquirePermission();
    long second = b.acquirePermission();
    b.onFinish(second, Outcome.CANCELLED);
    long third = b.acquirePermission(); // the cancelled one's slot
    b.onFinish(first, Outcome.SUCCESS);
    b.onFinish(third, Outcome.SUCCESS);
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void opensOnSlowCalls() throws Exception {
    CircuitBreakerPolicy slow = POLICY.toBuilder().slowCalls(50, Duration.ofSeconds(1)).build();
    ServiceBreaker b = breakers.forService(SERVICE, slow);
    for (int i = 0; i < 4; i++) {
      call(b, Outcome.SUCCESS, Duration.ofMillis(i < 2 ? 100 : 1_500));
    }
    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(events.get(0)).contains("slow-call rate 50% >= 50% (calls slower than 1s) over the last 10s");
  }

  @Test
  void anEqualPolicyKeepsTheBreakerAndAChangedOneReplacesIt() throws Exception {
    ServiceBreaker open = openBreaker();

    CircuitBreakerPolicy equal = POLICY.toBuilder().build();
    assertThat(equal).isNotSameAs(POLICY).isEqualTo(POLICY);
    assertThat(breakers.forService(SERVICE, equal)).isSameAs(open);
    assertThat(breakers.forService(SERVICE, equal)).isSameAs(open);

    CircuitBreakerPolicy changed = POLICY.toBuilder().failureRateThreshold(60).build();
    ServiceBreaker replaced = breakers.forService(SERVICE, changed);

    assertThat(replaced).isNotSameAs(open);
    assertThat(replaced.policy()).isSameAs(changed);
    assertThat(replaced.state()).isEqualTo(State.CLOSED);
    assertThat(replaced.acquirePermission()).isNotNegative(); // state reset: calls flow again
    assertThat(events).last().isEqualTo("service 'orders': circuit breaker replaced by a policy change (was OPEN;"
        + " state reset)");
  }

  @Test
  void aDisabledPolicyRemovesTheBreaker() throws Exception {
    openBreaker();
    assertThat(breakers.forService(SERVICE, POLICY.toBuilder().enabled(false).build())).isNull();
    assertThat(breakers.state(SERVICE)).isEmpty();
    assertThat(breakers.all()).isEmpty();
    assertThat(events).last().asString().contains("circuit breaker disabled by a policy change");
  }

  @Test
  void aReplacedBreakerNoLongerReportsTransitions() throws Exception {
    ServiceBreaker old = breakers.forService(SERVICE, POLICY);
    long inFlight = old.acquirePermission();
    calls(old, 3, Outcome.FAILURE); // 3 of 4 counted so far
    breakers.forService(SERVICE, POLICY.toBuilder().minimumCalls(10).build());
    int before = events.size();
    old.onFinish(inFlight, Outcome.FAILURE); // opens the old one, which nobody uses any more
    assertThat(old.circuitBreaker().getState()).isEqualTo(State.OPEN);
    assertThat(events).hasSize(before);
  }

  @Test
  void followsTheRuntimesPolicy() throws Exception {
    ServicePolicy policy = ServicePolicy.builder().circuitBreaker(POLICY).build();
    try (MeshFixture f = MeshFixture.create(policy, MeshFixture.endpoints(1))) {
      ServiceRuntime rt = f.runtime();
      ServiceBreaker b = breakers.forService(rt);
      assertThat(breakers.forService(rt)).isSameAs(b);

      // A new revision that leaves the breaker section equal keeps the breaker.
      f.policies.put(MeshFixture.SERVICE, policy.toBuilder().totalTimeout(Duration.ofSeconds(3))
          .circuitBreaker(POLICY.toBuilder().build()).build());
      assertThat(breakers.forService(rt)).isSameAs(b);

      f.policies.put(MeshFixture.SERVICE, policy.toBuilder()
          .circuitBreaker(POLICY.toBuilder().halfOpenCalls(5).build()).build());
      ServiceBreaker next = breakers.forService(rt);
      assertThat(next).isNotSameAs(b);
      assertThat(next.policy().halfOpenCalls()).isEqualTo(5);
      assertThat(breakers.forService(rt)).isSameAs(next);
    }
  }

  @Test
  void countsTransitionsByServiceAndStates() throws Exception {
    ServiceBreaker b = openBreaker();
    ticker.advance(Duration.ofSeconds(11));
    calls(b, 2, Outcome.SUCCESS);

    Optional<MetricData> metric = reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(ServiceBreakers.TRANSITIONS)).findFirst();
    assertThat(metric).hasValueSatisfying(m -> assertThat(m)
        .hasUnit("{transition}")
        .hasLongSumSatisfying(sum -> sum.isMonotonic().hasPointsSatisfying(
            p -> p.hasValue(1).hasAttributes(transition("closed", "open")),
            p -> p.hasValue(1).hasAttributes(transition("open", "half_open")),
            p -> p.hasValue(1).hasAttributes(transition("half_open", "closed")))));
  }

  private static Attributes transition(String from, String to) {
    return Attributes.of(MeshTelemetry.SERVICE, SERVICE, ServiceBreakers.FROM, from, ServiceBreakers.TO, to);
  }
}
