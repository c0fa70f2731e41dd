package io.mesh4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** StaticDiscovery: current snapshot on subscribe, updates in revision order, unsubscribe. */
class StaticDiscoveryTest {
  private static final List<Endpoint> ONE = List.of(Endpoint.of("10.0.0.1", 80));
  private static final List<Endpoint> TWO = List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));

  @Test
  void subscriberGetsTheCurrentSetAtOnceAndEveryChangeInOrder() {
    StaticDiscovery d = StaticDiscovery.of("orders", ONE);
    List<EndpointSet> seen = new ArrayList<>();

    d.subscribe("orders", seen::add);
    d.set("orders", TWO);

    assertThat(seen).extracting(EndpointSet::endpoints).containsExactly(ONE, TWO);
    assertThat(seen.get(1).revision()).isGreaterThan(seen.get(0).revision());
    assertThat(seen).allMatch(s -> s.service().equals("orders"));
  }

  @Test
  void subscriberOfAnUnknownServiceWaitsForItsFirstSet() {
    StaticDiscovery d = StaticDiscovery.create();
    List<EndpointSet> seen = new ArrayList<>();

    d.subscribe("orders", seen::add);
    assertThat(seen).isEmpty();
    assertThat(d.handles("orders")).isFalse();

    d.set("orders", ONE);
    assertThat(seen).singleElement().extracting(EndpointSet::endpoints).isEqualTo(ONE);
    assertThat(d.handles("orders")).isTrue();
  }

  @Test
  void closedSubscriptionGetsNothingMore() {
    StaticDiscovery d = StaticDiscovery.of("orders", ONE);
    List<EndpointSet> seen = new ArrayList<>();
    Subscription s = d.subscribe("orders", seen::add);

    s.close();
    s.close(); // idempotent
    d.set("orders", TWO);

    assertThat(seen).hasSize(1);
  }

  @Test
  void rejectedSetChangesNothing() {
    StaticDiscovery d = StaticDiscovery.of("orders", ONE);
    List<EndpointSet> seen = new ArrayList<>();
    d.subscribe("orders", seen::add);

    assertThatThrownBy(() -> d.set("orders", List.of(Endpoint.of("h", 1), Endpoint.of("h", 1))))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(seen).hasSize(1);
    List<EndpointSet> late = new ArrayList<>();
    d.subscribe("orders", late::add);
    assertThat(late).singleElement().extracting(EndpointSet::endpoints).isEqualTo(ONE);
  }

  @Test
  void describesItselfAsStatic() {
    assertThat(StaticDiscovery.create().describe()).isEqualTo("static");
  }
}
