package io.mesh4j;

import static io.mesh4j.MeshFixture.SERVICE;
import static io.mesh4j.MeshFixture.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.discovery.Subscription;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link ServiceRuntime#onChange}: what the gRPC name resolver uses to push endpoint and policy updates. */
class ChangeListenerTest {

  @Test
  void listenerSeesNewEndpointsAndNewPoliciesAlreadyApplied() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();
      List<String> seen = new ArrayList<>();
      rt.onChange(() -> seen.add(rt.endpoints().size() + " endpoints @" + rt.policyRevision()));

      f.discovery.set(SERVICE, endpoints(3));
      long rev = f.policies.put(SERVICE, ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2)).build());

      assertThat(seen).containsExactly("3 endpoints @0", "3 endpoints @" + rev);
    }
  }

  @Test
  void closedSubscriptionIsNotToldAndAThrowingListenerDoesNotStopOthers() {
    try (MeshFixture f = MeshFixture.create(ServicePolicy.DEFAULT, endpoints(2))) {
      ServiceRuntime rt = f.runtime();
      AtomicInteger removed = new AtomicInteger();
      AtomicInteger kept = new AtomicInteger();
      rt.onChange(() -> {
        throw new IllegalStateException("boom");
      });
      Subscription s = rt.onChange(removed::incrementAndGet);
      rt.onChange(kept::incrementAndGet);

      f.discovery.set(SERVICE, endpoints(3));
      s.close();
      f.discovery.set(SERVICE, endpoints(4));

      assertThat(removed).hasValue(1);
      assertThat(kept).hasValue(2);
      assertThat(f.events).anyMatch(e -> e.contains("change listener failed") && e.contains("boom"));
    }
  }
}
