package io.mesh4j.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The policy records and builders: defaults, validation, ejection times. */
class PolicyModelTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    ServicePolicy d = ServicePolicy.DEFAULT;
    assertThat(d.timeouts().total()).isEqualTo(Duration.ofSeconds(15));
    assertThat(d.timeouts().perAttemptTimeout()).isEmpty();
    assertThat(d.balancer().algorithm()).isEqualTo(BalancerAlgorithm.P2C_PEAK_EWMA);
    assertThat(d.balancer().decay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.balancer().defaultRtt()).isEqualTo(Duration.ofMillis(30));
    assertThat(d.outlier()).isEqualTo(new OutlierPolicy(true, 5, Duration.ofSeconds(30), Duration.ofSeconds(300),
        50, 50));
    assertThat(ServicePolicy.builder().build()).isEqualTo(d);
  }

  @Test
  void builderChangesOnlyWhatItIsTold() {
    ServicePolicy p = ServicePolicy.builder()
        .totalTimeout(Duration.ofSeconds(2))
        .perAttemptTimeout(Duration.ofMillis(500))
        .balancer(BalancerAlgorithm.ROUND_ROBIN)
        .build();

    assertThat(p.timeouts()).isEqualTo(new TimeoutPolicy(Duration.ofSeconds(2), Duration.ofMillis(500)));
    assertThat(p.balancer()).isEqualTo(BalancerPolicy.DEFAULT.withAlgorithm(BalancerAlgorithm.ROUND_ROBIN));
    assertThat(p.outlier()).isEqualTo(OutlierPolicy.DEFAULT);
    assertThat(p.toBuilder().build()).isEqualTo(p);
  }

  @Test
  void timeoutValidation() {
    assertThatThrownBy(() -> new TimeoutPolicy(Duration.ZERO, null))
        .isInstanceOf(InvalidPolicyException.class).hasMessageContaining("timeouts.total: 0s");
    assertThatThrownBy(() -> new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofSeconds(2)))
        .hasMessageContaining("timeouts.perAttempt: 2s (expected: <= timeouts.total (1s))");
    assertThatThrownBy(() -> new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofSeconds(-1)))
        .hasMessageContaining("timeouts.perAttempt: -1s (expected: a duration > 0)");
    assertThatThrownBy(() -> new TimeoutPolicy(null, null)).hasMessageContaining("timeouts.total: missing");
    assertThat(new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1)).perAttempt())
        .isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void outlierBuilderReportsEveryViolationAtOnce() {
    InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, () -> OutlierPolicy.builder()
        .consecutiveFailures(0)
        .baseEjectionTime(Duration.ofSeconds(60))
        .maxEjectionTime(Duration.ofSeconds(30))
        .maxEjectionPercent(101)
        .panicThresholdPercent(-1)
        .build());

    assertThat(e.violations()).extracting(InvalidPolicyException.Violation::path).containsExactly(
        "outlier.consecutiveFailures", "outlier.maxEjectionTime", "outlier.maxEjectionPercent",
        "outlier.panicThresholdPercent");
  }

  @Test
  void balancerValidation() {
    assertThatThrownBy(() -> new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ZERO, Duration.ofMillis(1)))
        .hasMessageContaining("balancer.decay: 0s (expected: a duration in (0, 1h])");
    assertThatThrownBy(() -> new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofSeconds(1),
        Duration.ofMinutes(2)))
        .hasMessageContaining("balancer.defaultRtt: 2m (expected: a duration in (0, 1m])");
    assertThatThrownBy(() -> new BalancerPolicy(null, Duration.ofSeconds(1), Duration.ofMillis(1)))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void ejectionTimeGrowsLinearlyAndIsCapped() {
    OutlierPolicy p = OutlierPolicy.builder()
        .baseEjectionTime(Duration.ofSeconds(30)).maxEjectionTime(Duration.ofSeconds(100)).build();

    assertThat(p.ejectionNanos(1)).isEqualTo(Duration.ofSeconds(30).toNanos());
    assertThat(p.ejectionNanos(2)).isEqualTo(Duration.ofSeconds(60).toNanos());
    assertThat(p.ejectionNanos(3)).isEqualTo(Duration.ofSeconds(90).toNanos());
    assertThat(p.ejectionNanos(4)).isEqualTo(Duration.ofSeconds(100).toNanos());
    assertThat(p.ejectionNanos(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(100).toNanos());
  }

  @Test
  void algorithmNames() {
    assertThat(BalancerAlgorithm.fromJsonName("p2c-peak-ewma")).isEqualTo(BalancerAlgorithm.P2C_PEAK_EWMA);
    assertThat(BalancerAlgorithm.fromJsonName("round-robin")).isEqualTo(BalancerAlgorithm.ROUND_ROBIN);
    assertThat(BalancerAlgorithm.fromJsonName("ROUND_ROBIN")).isNull();
    assertThat(BalancerAlgorithm.names()).isEqualTo("p2c-peak-ewma, p2c-least-request, round-robin");
  }
}
