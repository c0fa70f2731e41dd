package io.mesh4j.controlplane.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mesh4j.Mesh;
import io.mesh4j.Outcome;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.time.ManualTicker;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a report says, built from a real mesh's counters (nothing is sent: the interval is 10 minutes). */
class ReporterTest {
  private final ManualTicker ticker = new ManualTicker();
  private final StaticDiscovery discovery = StaticDiscovery.create();
  private final Mesh mesh = Mesh.builder().discovery(discovery).ticker(ticker).eventLog(m -> { }).build();
  private Reporter reporter;

  @AfterEach
  void close() {
    if (reporter != null) {
      reporter.close();
    }
    mesh.close();
  }

  private Reporter reporter() {
    reporter = new Reporter(() -> URI.create("http://127.0.0.1:9"), null, HttpClient.newHttpClient(), mesh,
        Duration.ofMinutes(10), new Reporter.Identity() {
          @Override
          public String service() {
            return "checkout";
          }

          @Override
          public String instanceId() {
            return "i-1";
          }

          @Override
          public String address() {
            return "";
          }
        }, () -> new ControlPlaneStatus(true, 7, false, null, null, URI.create("http://127.0.0.1:9")));
    return reporter;
  }

  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("10.0." + i / 250 + "." + i % 250, 8080));
    }
    return list;
  }

  private static void attempt(ServiceRuntime rt, EndpointStats e, Outcome outcome, ManualTicker ticker) {
    long start = rt.onStart(e);
    ticker.advance(Duration.ofMillis(1));
    rt.onFinish(e, start, outcome);
  }

  @Test
  void endpointsPastTheCapAreAddedUpInOneRowSoTheEdgeStillAddsUp() {
    discovery.set("orders", endpoints(Reporter.MAX_ENDPOINTS + 5));
    ServiceRuntime rt = mesh.service("orders");
    for (EndpointStats e : rt.endpoints()) {
      attempt(rt, e, Outcome.SUCCESS, ticker);
    }
    attempt(rt, rt.endpoints().get(rt.endpoints().size() - 1), Outcome.FAILURE, ticker);
    JsonNode d = reporter().build().path("destinations").get(0);
    assertThat(d.path("endpoints")).hasSize(Reporter.MAX_ENDPOINTS + 1);
    long success = 0;
    long failure = 0;
    for (JsonNode e : d.path("endpoints")) {
      success += e.path("success").asLong();
      failure += e.path("failure").asLong();
    }
    assertThat(success).isEqualTo(Reporter.MAX_ENDPOINTS + 5);
    assertThat(failure).isEqualTo(1);
    JsonNode other = d.path("endpoints").get(Reporter.MAX_ENDPOINTS);
    assertThat(other.path("address").asText()).isEqualTo("other");
    assertThat(other.path("success").asLong()).isEqualTo(5);
    long samples = 0;
    for (JsonNode c : d.path("latency").path("counts")) {
      samples += c.asLong();
    }
    assertThat(samples).as("one histogram for the destination, every attempt in it").isEqualTo(
        Reporter.MAX_ENDPOINTS + 6);
    assertThat(d.path("latency").path("firstUpperMicros").asLong()).isEqualTo(1_024); // 1 ms: [896, 1024)
    assertThat(reporter.build().path("destinations")).as("drained: nothing more to say").isEmpty();
  }

  @Test
  void anEndpointThatLeftDiscoveryIsReportedOnceMoreWithItsLastCounts() {
    discovery.set("orders", endpoints(2));
    ServiceRuntime rt = mesh.service("orders");
    EndpointStats leaving = rt.endpoints().get(1);
    attempt(rt, leaving, Outcome.SUCCESS, ticker);
    attempt(rt, leaving, Outcome.SUCCESS, ticker);
    discovery.set("orders", endpoints(1));
    ObjectNode r = reporter().build();
    JsonNode eps = r.path("destinations").get(0).path("endpoints");
    assertThat(eps).hasSize(1);
    assertThat(eps.get(0).path("address").asText()).isEqualTo(leaving.endpoint().address());
    assertThat(eps.get(0).path("success").asLong()).isEqualTo(2);
    assertThat(reporter.build().path("destinations")).as("once").isEmpty();
  }

  @Test
  void retriesHedgesAndTheControlPlaneStatusAreReported() {
    discovery.set("orders", endpoints(1));
    ServiceRuntime rt = mesh.service("orders");
    rt.countRetry();
    rt.countRetry();
    rt.countHedge();
    ObjectNode r = reporter().build();
    assertThat(r.path("service").asText()).isEqualTo("checkout");
    assertThat(r.path("controlPlane").path("revision").asLong()).isEqualTo(7);
    assertThat(r.path("revisions").path("orders").asLong()).isEqualTo(rt.policyRevision());
    JsonNode d = r.path("destinations").get(0);
    assertThat(d.path("retries").asLong()).isEqualTo(2);
    assertThat(d.path("hedges").asLong()).isEqualTo(1);
    assertThat(d.path("breaker").asText()).isEqualTo("closed");
    assertThat(d.has("latency")).as("no samples, no histogram").isFalse();
  }
}
