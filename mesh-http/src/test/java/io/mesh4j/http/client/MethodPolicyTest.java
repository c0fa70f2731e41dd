package io.mesh4j.http.client;

import io.mesh4j.http.MethodPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MethodPolicyTest {
  @Test
  void anEmptyPolicyReturnsTheServicesOwnObjects() {
    MethodPolicy p = MethodPolicy.builder().build();
    RetryPolicy service = RetryPolicy.DEFAULT;

    assertThat(p.isEmpty()).isTrue();
    assertThat(p.retries(service)).isSameAs(service);
    assertThat(p.hedging(HedgePolicy.DEFAULT)).isSameAs(HedgePolicy.DEFAULT);
    assertThat(p.totalTimeout(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void retryOverridesReplaceAttemptsAndStatusesAndSwitchRetriesOn() {
    MethodPolicy p = MethodPolicy.builder().maxAttempts(5).retryOn(List.of(503, 500, 503)).build();
    RetryPolicy service = RetryPolicy.disabled();

    RetryPolicy r = p.retries(service);

    assertThat(r.enabled()).isTrue();
    assertThat(r.maxAttempts()).isEqualTo(5);
    assertThat(r.retryOn()).containsExactly(500, 503);
    assertThat(r.backoffBase()).isEqualTo(service.backoffBase());
    assertThat(r.budgetPercent()).isEqualTo(service.budgetPercent());
    assertThat(p.retries(service)).as("kept while the service's policy is the same").isSameAs(r);
    RetryPolicy next = RetryPolicy.DEFAULT.toBuilder().backoff(Duration.ofMillis(5), Duration.ofMillis(10)).build();
    assertThat(p.retries(next).backoffBase()).isEqualTo(Duration.ofMillis(5));
  }

  @Test
  void zeroAttemptsKeepsTheServicesNumber() {
    MethodPolicy p = MethodPolicy.builder().maxAttempts(0).build();
    assertThat(p.retries(RetryPolicy.DEFAULT.toBuilder().maxAttempts(4).build()).maxAttempts()).isEqualTo(4);
    assertThat(p.retries(RetryPolicy.DEFAULT).retryOn()).isEqualTo(RetryPolicy.DEFAULT.retryOn());
  }

  @Test
  void hedgingAndTimeoutOverrides() {
    HedgePolicy h = HedgePolicy.fixed(Duration.ofMillis(10));
    MethodPolicy p = MethodPolicy.builder().hedging(h).timeout(Duration.ofMillis(300)).idempotent(true).build();

    assertThat(p.hedging(HedgePolicy.DEFAULT)).isSameAs(h);
    assertThat(p.totalTimeout(Duration.ofSeconds(15))).isEqualTo(Duration.ofMillis(300));
    assertThat(p.idempotent()).isTrue();
    assertThat(p.toString()).isEqualTo("MethodPolicy{timeout=300ms, idempotent, hedging=" + h + "}");
  }

  @Test
  void argumentsAreChecked() {
    assertThatThrownBy(() -> MethodPolicy.builder().maxAttempts(11))
        .hasMessage("maxAttempts: 11 (expected: 1..10, or 0 for the service's)");
    assertThatThrownBy(() -> MethodPolicy.builder().retryOn(List.of(200)))
        .hasMessage("retryOn: 200 (expected: HTTP statuses 400..599)");
    assertThatThrownBy(() -> MethodPolicy.builder().timeout(Duration.ZERO))
        .hasMessage("timeout: 0s (expected: > 0)");
  }
}
