package io.mesh4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Endpoint: validation, parsing and the address identity. */
class EndpointTest {

  @Test
  void ofHasWeightOneNoZoneNoLabels() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);

    assertThat(e.weight()).isEqualTo(1);
    assertThat(e.zone()).isEmpty();
    assertThat(e.labels()).isEmpty();
    assertThat(e.address()).isEqualTo("10.0.0.1:8080");
    assertThat(e).hasToString("10.0.0.1:8080");
  }

  @Test
  void rejectsPortOutOfRange() {
    assertThatThrownBy(() -> Endpoint.of("h", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("port: 0 (expected: 1..65535)");
    assertThatThrownBy(() -> Endpoint.of("h", 65_536)).hasMessage("port: 65536 (expected: 1..65535)");
    assertThat(Endpoint.of("h", 1).port()).isEqualTo(1);
    assertThat(Endpoint.of("h", 65_535).port()).isEqualTo(65_535);
  }

  @Test
  void rejectsWeightOutOfRange() {
    assertThatThrownBy(() -> Endpoint.of("h", 80).withWeight(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("weight: 0 (expected: 1..10000)");
    assertThatThrownBy(() -> Endpoint.of("h", 80).withWeight(10_001))
        .hasMessage("weight: 10001 (expected: 1..10000)");
    assertThat(Endpoint.of("h", 80).withWeight(Endpoint.MAX_WEIGHT).weight()).isEqualTo(10_000);
  }

  @Test
  void rejectsBlankOrNullHost() {
    assertThatThrownBy(() -> Endpoint.of("", 80))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("host: ")
        .hasMessageContaining("expected: a host name or IP address");
    assertThatThrownBy(() -> Endpoint.of("   ", 80)).hasMessageStartingWith("host: ");
    assertThatThrownBy(() -> Endpoint.of(null, 80)).isInstanceOf(NullPointerException.class).hasMessage("host");
  }

  @Test
  void nullZoneAndLabelsBecomeEmptyAndLabelsAreCopied() {
    Map<String, String> labels = new HashMap<>(Map.of("version", "v2"));
    Endpoint e = new Endpoint("h", 80, 2, null, labels);
    labels.put("version", "v3");

    assertThat(e.zone()).isEmpty();
    assertThat(e.labels()).containsExactly(Map.entry("version", "v2"));
    assertThat(new Endpoint("h", 80, 1, "z", null).labels()).isEmpty();
    assertThatThrownBy(() -> e.labels().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void withersKeepTheAddress() {
    Endpoint e = Endpoint.of("h", 80);
    Endpoint changed = e.withWeight(3).withZone("eu-1").withLabels(Map.of("v", "2"));

    assertThat(changed.address()).isEqualTo(e.address());
    assertThat(changed).isNotEqualTo(e);
    assertThat(changed.weight()).isEqualTo(3);
    assertThat(changed.zone()).isEqualTo("eu-1");
    assertThat(changed.labels()).containsEntry("v", "2");
  }

  @Test
  void parsesHostAndPort() {
    assertThat(Endpoint.parse("h:1")).isEqualTo(Endpoint.of("h", 1));
    assertThat(Endpoint.parse("orders.internal:8080")).isEqualTo(Endpoint.of("orders.internal", 8080));
    assertThat(Endpoint.parse("10.0.0.1:443")).isEqualTo(Endpoint.of("10.0.0.1", 443));
  }

  @Test
  void parsesBracketedIpv6() {
    Endpoint e = Endpoint.parse("[::1]:8080");

    assertThat(e.host()).isEqualTo("::1");
    assertThat(e.port()).isEqualTo(8080);
    assertThat(e.address()).isEqualTo("[::1]:8080");
    assertThat(Endpoint.parse(e.address())).isEqualTo(e);
    assertThat(Endpoint.parse("[fe80::1:2]:443").host()).isEqualTo("fe80::1:2");
  }

  @Test
  void rejectsBadFormsNamingTheInput() {
    for (String bad : List.of("h", "h:", ":80", "h:http", "h:80x", "[::1]", "::1", "fe80::1",
        "[::1:80", "::1]:80", "a:b:80")) {
      assertThatThrownBy(() -> Endpoint.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("endpoint: '" + bad + "' (expected: host:port");
    }
  }

  @Test
  void parseValidatesThePortRange() {
    assertThatThrownBy(() -> Endpoint.parse("h:0")).hasMessage("port: 0 (expected: 1..65535)");
    assertThatThrownBy(() -> Endpoint.parse("h:70000")).hasMessage("port: 70000 (expected: 1..65535)");
    assertThatThrownBy(() -> Endpoint.parse("h:-1")).hasMessage("port: -1 (expected: 1..65535)");
    assertThatThrownBy(() -> Endpoint.parse("[]:80")).hasMessageStartingWith("host: ");
    assertThatThrownBy(() -> Endpoint.parse(null)).isInstanceOf(NullPointerException.class);
  }
}
