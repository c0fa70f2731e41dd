package io.mesh4j.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the quickstart in a short mode and checks what it claims to show. */
class QuickstartTest {
  @Test
  void slowBackendGetsLittleTrafficAndTheDeadOneIsEjected() throws Exception {
    List<String> out = new ArrayList<>();
    Quickstart.Result result = Quickstart.run(Duration.ofSeconds(1), 100, out::add);
    assertThat(result.ok()).as(String.join("\n", out)).isTrue();
    assertThat(result.phase2()).doesNotContainKey("dies");
    assertThat(result.phase2().getOrDefault("(failed)", 0)).as("refused connections fail over").isZero();
    assertThat(out).anyMatch(line -> line.contains("ejected 127.0.0.1:"));
  }
}
