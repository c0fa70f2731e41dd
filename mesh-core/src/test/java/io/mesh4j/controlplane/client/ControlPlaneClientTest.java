package io.mesh4j.controlplane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the client decides without a control plane (the end-to-end tests are in mesh-control-plane). */
class ControlPlaneClientTest {
  @Test
  void singleLabelServiceNamesAreMeshServicesAndEverythingElsePassesThrough() {
    try (ControlPlaneClient c = ControlPlaneClient.builder(URI.create("http://127.0.0.1:1")).build()) {
      assertThat(c.discovery().handles("orders")).isTrue();
      assertThat(c.discovery().handles("payment-api")).isTrue();
      assertThat(c.discovery().handles("localhost")).isFalse();
      assertThat(c.discovery().handles("api.example.com")).isFalse();
      assertThat(c.discovery().handles("10.0.0.1")).isFalse();
      assertThat(c.discovery().handles("Orders_Service")).isFalse();
      assertThat(c.status().connected()).isFalse();
      assertThat(c.status().revision()).isZero();
    }
  }

  @Test
  void badSettingsAreRejectedNamingWhatWasExpected() {
    assertThatThrownBy(() -> ControlPlaneClient.builder(URI.create("http://x")).waitTime(Duration.ofMinutes(10)))
        .hasMessage("waitTime: PT10M (expected: 0..5m)");
    assertThatThrownBy(() -> new Registration("orders", "10.0.0.1", 0, 1, "", null, Duration.ofSeconds(30)))
        .hasMessage("port: 0 (expected: 1..65535)");
    assertThatThrownBy(() -> new Registration("orders", "10.0.0.1", 80, 1, "", null, Duration.ofSeconds(1)))
        .hasMessage("ttl: PT1S (expected: >= 3s)");
  }
}
