package io.mesh4j;

import static io.mesh4j.MeshFixture.SERVICE;
import static io.mesh4j.MeshFixture.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.BalancerPolicy;
import io.mesh4j.policy.OutlierPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.VersionedPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Policies delivered by a PolicySource reach the ServiceRuntime, in order. */
class PolicyUpdatesTest {
  private static final ServicePolicy TWO_SECONDS = ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2)).build();

  private static String algorithmOfNextPick(ServiceRuntime rt) throws Exception {
    PickTrace trace = new PickTrace();
    rt.pick(null, trace);
    return trace.algorithm();
  }

  @Test
  void runtimeStartsOnTheMeshDefaultAtRevisionZero() {
    try (MeshFixture f = MeshFixture.create(TWO_SECONDS, endpoints(2))) {
      assertThat(f.runtime().policy()).isEqualTo(TWO_SECONDS);
      assertThat(f.runtime().policyRevision()).isZero();
      assertThat(f.mesh.defaultPolicy()).isEqualTo(TWO_SECONDS);
    }
  }

  @Test
  void policyPutBeforeTheServiceIsFirstUsedIsInForceFromTheStart() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      long revision = f.policies.put(SERVICE, TWO_SECONDS);

      assertThat(f.runtime().policy()).isEqualTo(TWO_SECONDS);
      assertThat(f.runtime().policyRevision()).isEqualTo(revision).isPositive();
    }
  }

  @Test
  void policySwappedAtRunTimeReachesTheRuntime() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();

      long r1 = f.policies.put(SERVICE, TWO_SECONDS);
      assertThat(rt.policy()).isEqualTo(TWO_SECONDS);
      assertThat(rt.policyRevision()).isEqualTo(r1);

      ServicePolicy next = TWO_SECONDS.toBuilder().perAttemptTimeout(Duration.ofMillis(500)).build();
      long r2 = f.policies.put(SERVICE, next);
      assertThat(r2).isGreaterThan(r1);
      assertThat(rt.policy()).isEqualTo(next);
      assertThat(rt.policyRevision()).isEqualTo(r2);
    }
  }

  @Test
  void policyOfAnotherServiceDoesNotApply() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();

      f.policies.put("payments", TWO_SECONDS);

      assertThat(rt.policy()).isEqualTo(ServicePolicy.DEFAULT);
      assertThat(rt.policyRevision()).isZero();
    }
  }

  @Test
  void changingTheBalancerAlgorithmTakesEffect() throws Exception {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(3))) {
      ServiceRuntime rt = f.runtime();
      assertThat(algorithmOfNextPick(rt)).isEqualTo("p2c-peak-ewma");

      f.policies.put(SERVICE, ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).build());
      assertThat(algorithmOfNextPick(rt)).isEqualTo("round-robin");
      List<String> seq = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        seq.add(f.pick().endpoint().address());
      }
      assertThat(seq.subList(0, 3)).doesNotHaveDuplicates();
      assertThat(seq.subList(3, 6)).isEqualTo(seq.subList(0, 3));

      f.policies.put(SERVICE, ServicePolicy.builder().balancer(BalancerAlgorithm.P2C_LEAST_REQUEST).build());
      assertThat(algorithmOfNextPick(rt)).isEqualTo("p2c-least-request");
    }
  }

  @Test
  void unchangedBalancerSectionKeepsTheBalancerAndItsState() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN).build(),
        endpoints(3))) {
      assertThat(f.pick().endpoint().address()).isEqualTo("10.0.0.1:8080");

      // Only the timeout changes: the round-robin position carries on.
      f.policies.put(SERVICE, f.runtime().policy().toBuilder().totalTimeout(Duration.ofSeconds(1)).build());

      assertThat(f.pick().endpoint().address()).isEqualTo("10.0.0.2:8080");
    }
  }

  @Test
  void outlierSettingsOfTheNewPolicyApplyToTheNextFailure() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(4))) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      f.fail(a, 2); // default threshold is 5
      assertThat(a.isEjected()).isFalse();

      f.policies.put(SERVICE, ServicePolicy.builder()
          .outlier(OutlierPolicy.builder().consecutiveFailures(3).build()).build());
      f.fail(a, 1);

      assertThat(a.isEjected()).isTrue();
    }
  }

  @Test
  void decayOfTheNewPolicyIsUsedForNewSamples() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      EndpointStats a = f.stats("10.0.0.1:8080");
      f.attempt(a, Duration.ofMillis(100), Outcome.SUCCESS); // cost 100 ms
      f.policies.put(SERVICE, ServicePolicy.builder()
          .balancer(new BalancerPolicy(BalancerAlgorithm.P2C_PEAK_EWMA, Duration.ofSeconds(1), Duration.ofMillis(30)))
          .build());
      f.ticker.advance(Duration.ofSeconds(1));

      f.attempt(a, Duration.ZERO, Outcome.SUCCESS); // a 0 ns sample one second later

      // With the new 1 s tau it weighs 1 - 1/e (with the old 10 s tau it would weigh ~10 %).
      assertThat(a.ewmaNanos(f.ticker.nanoTime(), 1e9)).isCloseTo(100e6 * Math.exp(-1), within(1.0));
    }
  }

  @Test
  void revisionsNeverGoBackwards() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();
      ServicePolicy older = ServicePolicy.builder().totalTimeout(Duration.ofSeconds(1)).build();

      rt.onPolicy(new VersionedPolicy(SERVICE, 10, TWO_SECONDS));
      rt.onPolicy(new VersionedPolicy(SERVICE, 9, older));

      assertThat(rt.policy()).isEqualTo(TWO_SECONDS);
      assertThat(rt.policyRevision()).isEqualTo(10);

      rt.onPolicy(new VersionedPolicy(SERVICE, 11, older));
      assertThat(rt.policy()).isEqualTo(older);
      assertThat(rt.policyRevision()).isEqualTo(11);
    }
  }

  @Test
  void aNewHistoryOfTheSourceAppliesWhateverItsRevisionAndThenNeverGoesBackwardsEither() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();
      ServicePolicy restored = ServicePolicy.builder().totalTimeout(Duration.ofSeconds(1)).build();
      rt.onPolicy(new VersionedPolicy(SERVICE, 10, TWO_SECONDS, "epoch-1"));

      // A control plane restored from an older backup: revision 4 of another history applies.
      rt.onPolicy(new VersionedPolicy(SERVICE, 4, restored, "epoch-2"));
      assertThat(rt.policy()).isEqualTo(restored);
      assertThat(rt.policyRevision()).isEqualTo(4);

      // Within the new history, older revisions are ignored again.
      rt.onPolicy(new VersionedPolicy(SERVICE, 3, TWO_SECONDS, "epoch-2"));
      assertThat(rt.policy()).isEqualTo(restored);
    }
  }

  @Test
  void staticSourceRevisionsIncreaseAcrossServices() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      long r1 = f.policies.put(SERVICE, TWO_SECONDS);
      long r2 = f.policies.put("payments", TWO_SECONDS);
      long r3 = f.policies.put(SERVICE, ServicePolicy.DEFAULT);

      assertThat(r1).isLessThan(r2);
      assertThat(r2).isLessThan(r3);
      assertThat(f.runtime().policyRevision()).isEqualTo(r3);
      assertThat(f.runtime().policy()).isEqualTo(ServicePolicy.DEFAULT);
    }
  }

  @Test
  void closedSubscriptionReceivesNothingMore() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      List<VersionedPolicy> seen = new ArrayList<>();
      f.policies.put(SERVICE, TWO_SECONDS);
      var sub = f.policies.subscribe(SERVICE, seen::add);
      assertThat(seen).singleElement().extracting(VersionedPolicy::policy).isEqualTo(TWO_SECONDS);

      sub.close();
      f.policies.put(SERVICE, ServicePolicy.DEFAULT);

      assertThat(seen).hasSize(1);
    }
  }
}
