package io.mesh4j;

import static io.mesh4j.MeshFixture.endpoints;
import static io.mesh4j.MeshFixture.outlierPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Outlier ejection, readmission, the ejection cap and panic mode, driven through ServiceRuntime.onFinish. */
class OutlierEjectionTest {
  private static final Duration BASE = Duration.ofSeconds(10);
  private static final Duration MAX = Duration.ofSeconds(100);
  /** 3 failures in a row eject for 10 s x n (max 100 s); at most 50 % ejected; panic below 50 %. */
  private static final ServicePolicy POLICY = outlierPolicy(3, BASE, MAX, 50, 50);
  private static final String A = "10.0.0.1:8080";

  private static Duration nanos(long n) {
    return Duration.ofNanos(n);
  }

  private static void assertNeverPicked(MeshFixture f, EndpointStats e, int picks) {
    for (int i = 0; i < picks; i++) {
      assertThat(f.pick()).isNotSameAs(e);
    }
  }

  @Test
  void ejectedAfterConsecutiveFailuresAndNotPicked() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);

      f.fail(a, 2);
      assertThat(a.isEjected()).isFalse();
      assertThat(a.consecutiveFailures()).isEqualTo(2);

      f.fail(a, 1);
      assertThat(a.isEjected()).isTrue();
      assertThat(a.timesEjected()).isEqualTo(1);
      assertThat(f.runtime().panicMode()).isFalse();
      assertNeverPicked(f, a, 1_000);
      assertThat(f.events).singleElement().asString()
          .contains("'orders'", "ejected 10.0.0.1:8080", "10000 ms", "ejection #1");
    }
  }

  @Test
  void failuresToReachCountLikeFailedAttemptsButRecordNoLatencyOrInFlight() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);
      f.fail(a, 1); // one failed attempt, then two failed connection attempts: three in a row
      double ewmaBefore = a.ewmaNanos(f.ticker.nanoTime(), 1e10);
      int pendingBefore = a.pending();

      f.runtime().onUnreachable(a);
      assertThat(a.isEjected()).isFalse();
      f.runtime().onUnreachable(a);

      assertThat(a.isEjected()).isTrue();
      assertThat(a.pending()).isEqualTo(pendingBefore);
      assertThat(a.ewmaNanos(f.ticker.nanoTime(), 1e10)).isEqualTo(ewmaBefore);
      assertNeverPicked(f, a, 100);
    }
  }

  @Test
  void successResetsTheFailureCount() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);

      f.fail(a, 2);
      f.attempt(a, Duration.ZERO, Outcome.SUCCESS);
      assertThat(a.consecutiveFailures()).isZero();
      f.fail(a, 2);

      assertThat(a.isEjected()).isFalse();
      f.fail(a, 1);
      assertThat(a.isEjected()).isTrue();
    }
  }

  @Test
  void readmittedExactlyWhenTheBaseEjectionTimeHasPassed() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);
      f.fail(a, 3);

      f.ticker.advance(BASE.minusNanos(1));
      assertNeverPicked(f, a, 200);
      assertThat(a.isEjected()).isTrue();

      f.ticker.advance(nanos(1));
      f.pick(); // readmission happens on the request path
      assertThat(a.isEjected()).isFalse();
      assertThat(f.events).last().asString().contains("readmitted 10.0.0.1:8080");
      assertThat(f.countPicks(4_000).get(A)).isPositive();
    }
  }

  @Test
  void secondEjectionLastsTwiceTheBase() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);
      f.fail(a, 3);
      f.ticker.advance(BASE);
      f.pick();
      assertThat(a.isEjected()).isFalse();

      f.fail(a, 3);
      assertThat(a.isEjected()).isTrue();
      assertThat(a.timesEjected()).isEqualTo(2);

      f.ticker.advance(BASE.multipliedBy(2).minusNanos(1));
      f.pick();
      assertThat(a.isEjected()).isTrue();
      f.ticker.advance(nanos(1));
      f.pick();
      assertThat(a.isEjected()).isFalse();
    }
  }

  @Test
  void ejectionTimeIsCappedAtMaxEjectionTime() {
    // base 10 s, max 25 s: 10, 20, 25, 25
    ServicePolicy policy = outlierPolicy(3, BASE, Duration.ofSeconds(25), 50, 50);
    try (MeshFixture f = MeshFixture.create(policy, endpoints(4))) {
      EndpointStats a = f.stats(A);
      long[] expectedSeconds = {10, 20, 25, 25, 25};
      for (int round = 0; round < expectedSeconds.length; round++) {
        f.fail(a, 3);
        assertThat(a.isEjected()).as("round %d", round).isTrue();
        Duration d = Duration.ofSeconds(expectedSeconds[round]);

        f.ticker.advance(d.minusNanos(1));
        f.pick();
        assertThat(a.isEjected()).as("round %d just before %s", round, d).isTrue();
        f.ticker.advance(nanos(1));
        f.pick();
        assertThat(a.isEjected()).as("round %d at %s", round, d).isFalse();
      }
      assertThat(f.events).filteredOn(e -> e.contains("ejected"))
          .extracting(e -> e.replaceAll(".* for (\\d+) ms.*", "$1"))
          .containsExactly("10000", "20000", "25000", "25000", "25000");
    }
  }

  @Test
  void multiplierStartsOverAfterStayingHealthyLongerThanMaxEjectionTime() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);
      f.fail(a, 3);
      f.ticker.advance(BASE);
      f.pick();
      f.fail(a, 3); // second ejection: 20 s
      f.ticker.advance(BASE.multipliedBy(2));
      f.pick();
      assertThat(a.isEjected()).isFalse();

      f.ticker.advance(MAX.plusNanos(1)); // in rotation for longer than the max ejection time
      f.fail(a, 3);

      assertThat(a.timesEjected()).isEqualTo(1);
      f.ticker.advance(BASE);
      f.pick();
      assertThat(a.isEjected()).isFalse();
    }
  }

  @Test
  void maxEjectionPercentIsRespectedEvenWhenEveryEndpointFails() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      for (int round = 0; round < 3; round++) {
        for (EndpointStats e : f.runtime().endpoints()) {
          f.fail(e, 3);
        }
      }

      assertThat(f.runtime().endpoints()).filteredOn(EndpointStats::isEjected).hasSize(2);
      assertThat(f.runtime().panicMode()).isFalse(); // 2 of 4 available = 50 %, not below
      assertThat(f.countPicks(1_000).values()).filteredOn(n -> n > 0).hasSize(2);
    }
  }

  @Test
  void maxEjectionPercentZeroEjectsNothing() {
    try (MeshFixture f = MeshFixture.create(outlierPolicy(3, BASE, MAX, 0, 50), endpoints(4))) {
      f.fail(f.stats(A), 10);

      assertThat(f.stats(A).isEjected()).isFalse();
    }
  }

  @Test
  void disabledOutlierDetectionEjectsNothing() {
    ServicePolicy disabled = POLICY.toBuilder()
        .outlier(POLICY.outlier().toBuilder().enabled(false).build()).build();
    try (MeshFixture f = MeshFixture.create(disabled, endpoints(4))) {
      f.fail(f.stats(A), 10);

      assertThat(f.stats(A).isEjected()).isFalse();
      assertThat(f.stats(A).consecutiveFailures()).isEqualTo(10);
    }
  }

  @Test
  void panicModeWhenAvailableEndpointsFallBelowTheThreshold() throws Exception {
    try (MeshFixture f = MeshFixture.create(outlierPolicy(3, BASE, MAX, 100, 50), endpoints(4))) {
      List<EndpointStats> all = f.runtime().endpoints();
      f.fail(all.get(0), 3);
      f.fail(all.get(1), 3);
      assertThat(f.runtime().panicMode()).as("2 of 4 available").isFalse();
      assertThat(f.countPicks(1_000)).containsEntry(A, 0).containsEntry("10.0.0.2:8080", 0);

      f.fail(all.get(2), 3);
      assertThat(all.subList(0, 3)).allMatch(EndpointStats::isEjected);
      assertThat(f.runtime().panicMode()).as("1 of 4 available").isTrue();
      Map<String, Integer> counts = f.countPicks(4_000);
      assertThat(counts.values()).as("panic: every endpoint in use").allMatch(n -> n > 0);

      PickTrace trace = new PickTrace();
      f.runtime().pick(null, trace);
      assertThat(trace.panic()).isTrue();
      assertThat(trace.describe()).contains("1 of 4 endpoints available", "panic mode");
    }
  }

  @Test
  void panicModeWhenEveryEndpointIsEjected() {
    try (MeshFixture f = MeshFixture.create(outlierPolicy(3, BASE, MAX, 100, 0), endpoints(3))) {
      for (EndpointStats e : f.runtime().endpoints()) {
        f.fail(e, 3);
      }

      assertThat(f.runtime().endpoints()).allMatch(EndpointStats::isEjected);
      assertThat(f.runtime().panicMode()).isTrue();
      assertThat(f.countPicks(3_000).values()).allMatch(n -> n > 0);
    }
  }

  @Test
  void panicModeEndsWhenEndpointsAreReadmitted() {
    try (MeshFixture f = MeshFixture.create(outlierPolicy(3, BASE, MAX, 100, 50), endpoints(2))) {
      f.fail(f.stats(A), 3);
      assertThat(f.runtime().panicMode()).isFalse(); // 1 of 2 = 50 %
      f.fail(f.stats("10.0.0.2:8080"), 3);
      assertThat(f.runtime().panicMode()).isTrue();

      f.ticker.advance(BASE);
      f.pick();

      assertThat(f.runtime().panicMode()).isFalse();
      assertThat(f.runtime().endpoints()).noneMatch(EndpointStats::isEjected);
    }
  }

  @Test
  void timeoutsAndCancellationsDoNotCountTowardEjection() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(4))) {
      EndpointStats a = f.stats(A);

      for (int i = 0; i < 10; i++) {
        f.attempt(a, Duration.ofMillis(1), Outcome.TIMEOUT);
        f.attempt(a, Duration.ofMillis(1), Outcome.CANCELLED);
      }

      assertThat(a.isEjected()).isFalse();
      assertThat(a.consecutiveFailures()).isZero();
      assertThat(a.requests()).isZero();
      assertThat(a.failures()).isZero();
      assertThat(a.pending()).isZero();
    }
  }

  @Test
  void timeoutRecordsLatencyButCancellationDoesNot() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(2))) {
      EndpointStats a = f.stats(A);
      double tau = POLICY.balancer().decay().toNanos();

      f.attempt(a, Duration.ofSeconds(2), Outcome.CANCELLED);
      assertThat(a.ewmaNanos(f.ticker.nanoTime(), tau)).isLessThan(30e6);

      f.attempt(a, Duration.ofSeconds(2), Outcome.TIMEOUT);
      assertThat(a.ewmaNanos(f.ticker.nanoTime(), tau)).isEqualTo(2e9);
    }
  }

  @Test
  void singleFailingEndpointIsEjectedButStillPicked() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(1))) {
      EndpointStats a = f.stats(A);

      f.fail(a, 3);

      assertThat(a.isEjected()).isTrue();
      assertThat(f.runtime().panicMode()).isTrue();
      assertThat(f.pick()).isSameAs(a);
    }
  }

  @Test
  void failuresOnAnEndpointNoLongerInTheSetEjectNothing() {
    try (MeshFixture f = MeshFixture.create(POLICY, endpoints(3))) {
      EndpointStats a = f.stats(A);
      long start = f.runtime().onStart(a);
      f.discovery.set(MeshFixture.SERVICE, endpoints(3).subList(1, 3));

      f.fail(a, 5);
      f.runtime().onFinish(a, start, Outcome.FAILURE);

      assertThat(a.isEjected()).isFalse();
      assertThat(a.pending()).isZero();
      assertThat(f.events).isEmpty();
    }
  }

  @Test
  void noEndpointsExceptionNamesTheServiceAndTheSource() {
    try (MeshFixture f = MeshFixture.create(POLICY, List.of())) {
      assertThatThrownBy(() -> f.runtime().pick(null, null))
          .isInstanceOf(NoEndpointsException.class)
          .hasMessageContaining("'orders'")
          .hasMessageContaining("static")
          .satisfies(e -> assertThat(((NoEndpointsException) e).service()).isEqualTo("orders"));
    }
  }

  @Test
  void noEndpointsExceptionForAServiceDiscoveryHasNeverHeardOf() {
    try (Mesh mesh = Mesh.builder().discovery(StaticDiscovery.create()).openTelemetry(OpenTelemetry.noop())
        .build()) {
      assertThat(mesh.handles("unknown")).isFalse();
      assertThatThrownBy(() -> mesh.service("unknown").pick(null, null))
          .isInstanceOf(NoEndpointsException.class)
          .hasMessage("service 'unknown': no endpoints known (discovery: static)");
    }
  }

  @Test
  void ejectionCapCountsEndpointsAtTheTimeOfTheFailure() {
    // 10 % of 4 is 0, but at least one endpoint may always be ejected.
    try (MeshFixture f = MeshFixture.create(outlierPolicy(3, BASE, MAX, 10, 50), endpoints(4))) {
      f.fail(f.stats(A), 3);
      f.fail(f.stats("10.0.0.2:8080"), 3);

      assertThat(f.stats(A).isEjected()).isTrue();
      assertThat(f.stats("10.0.0.2:8080").isEjected()).isFalse();
    }
  }

  @Test
  void outlierDefaultsMatchTheDocumentation() {
    OutlierPolicy d = OutlierPolicy.DEFAULT;
    assertThat(d.enabled()).isTrue();
    assertThat(d.consecutiveFailures()).isEqualTo(5);
    assertThat(d.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
    assertThat(d.maxEjectionPercent()).isEqualTo(50);
    assertThat(d.panicThresholdPercent()).isEqualTo(50);
  }
}
