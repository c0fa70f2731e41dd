package io.mesh4j.examples.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the gRPC example briefly and checks what it claims to show. */
class GrpcExampleTest {
  @Test
  void slowServerGetsLittleTrafficAndStoppingOneFailsNoCall() throws Exception {
    List<String> out = new ArrayList<>();
    GrpcExample.Result r = GrpcExample.run(Duration.ofSeconds(1), Duration.ofMillis(100), out::add);
    String log = String.join("\n", out);

    int total = r.firstHalf().values().stream().mapToInt(Integer::intValue).sum();
    assertThat(r.firstHalf().getOrDefault("slow", 0)).as(log).isLessThan(total / 6);
    assertThat(r.firstHalf()).as(log).containsKeys("fast", "doomed").doesNotContainKey("(failed)");
    assertThat(r.secondHalf()).as(log).doesNotContainKey("(failed)").containsKey("fast");
  }
}
