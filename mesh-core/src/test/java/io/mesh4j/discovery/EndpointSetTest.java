package io.mesh4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EndpointSet: an immutable snapshot without duplicate addresses. */
class EndpointSetTest {

  @Test
  void rejectsTheSameAddressTwiceEvenWithOtherWeights() {
    List<Endpoint> list = List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80),
        Endpoint.of("10.0.0.1", 80).withWeight(5));

    assertThatThrownBy(() -> new EndpointSet("orders", 1, list))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endpoints of 'orders': 10.0.0.1:80 appears twice (expected: each address once)");
  }

  @Test
  void sameHostOnAnotherPortIsAnotherEndpoint() {
    EndpointSet set = new EndpointSet("orders", 1, List.of(Endpoint.of("h", 80), Endpoint.of("h", 81)));

    assertThat(set.endpoints()).hasSize(2);
  }

  @Test
  void ipv6DuplicatesAreDetectedByAddress() {
    assertThatThrownBy(() -> new EndpointSet("orders", 1, List.of(Endpoint.of("::1", 80), Endpoint.parse("[::1]:80"))))
        .hasMessageContaining("[::1]:80 appears twice");
  }

  @Test
  void isAnImmutableCopy() {
    List<Endpoint> source = new ArrayList<>(List.of(Endpoint.of("h", 80)));
    EndpointSet set = new EndpointSet("orders", 3, source);
    source.add(Endpoint.of("h", 81));

    assertThat(set.endpoints()).containsExactly(Endpoint.of("h", 80));
    assertThat(set.revision()).isEqualTo(3);
    assertThatThrownBy(() -> set.endpoints().add(Endpoint.of("x", 1)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void requiresAServiceName() {
    assertThatThrownBy(() -> new EndpointSet(null, 1, List.of())).isInstanceOf(NullPointerException.class);
  }
}
