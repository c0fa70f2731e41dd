package io.mesh4j.spring.boot.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Spring Boot application with Actuator and the Prometheus registry: the mesh's metrics are in its
 * {@link MeterRegistry}, in {@code /actuator/metrics} and in {@code /actuator/prometheus}. The backend
 * is a WireMock server on loopback; calls go through the {@code @MeshClient} {@link OrdersClient}.
 *
 * <p>The context (and so the registry) is shared by the tests of this class: each compares counts
 * before and after its own calls.
 */
@SpringBootTest(classes = ShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.endpoints.web.exposure.include=metrics,prometheus")
class MicrometerActuatorIT {
  static final WireMockServer ORDERS = new WireMockServer(options().dynamicPort());

  @BeforeAll
  static void stubs() {
    ORDERS.stubFor(get(urlEqualTo("/orders/7")).willReturn(aResponse().withStatus(200).withBody("order 7")));
    ORDERS.stubFor(get(urlEqualTo("/orders/13")).willReturn(aResponse().withStatus(503)));
  }

  static {
    ORDERS.start();
  }

  @DynamicPropertySource
  static void mesh(DynamicPropertyRegistry registry) {
    registry.add("mesh.services.orders.endpoints[0]", () -> "localhost:" + ORDERS.port());
  }

  @AfterAll
  static void stop() {
    ORDERS.stop();
  }

  @LocalServerPort
  int port;

  @Autowired
  MeterRegistry registry;

  @Autowired
  OrdersClient orders;

  @Autowired
  MeshCallStats stats;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void successfulCallsAreInTheRegistry() throws IOException {
    long calls = durationCount("200");
    double attempts = attempts("success");
    for (int i = 0; i < 5; i++) {
      assertThat(orders.get(7)).isEqualTo("order 7");
    }
    assertThat(durationCount("200") - calls).isEqualTo(5);
    assertThat(attempts("success") - attempts).isEqualTo(5.0);
  }

  @Test
  void theDocumentedExampleReadsTheMeshMetrics() throws IOException {
    long calls = stats.calls("orders");
    double successes = stats.attempts("orders", "success");
    double failures = stats.attempts("orders", "failure");
    double retries = stats.retries("orders");
    orders.get(7);
    assertThatThrownBy(() -> orders.get(13)).isInstanceOf(IOException.class);
    assertThat(stats.calls("orders") - calls).isEqualTo(2);
    assertThat(stats.attempts("orders", "success") - successes).isEqualTo(1.0);
    assertThat(stats.attempts("orders", "failure") - failures).isEqualTo(3.0);
    assertThat(stats.retries("orders") - retries).isEqualTo(2.0);
  }

  @Test
  void retriedFailureIsInTheRegistry() {
    long failedCalls = durationCount("503");
    double failedAttempts = attempts("failure");
    double retries = retries();
    assertThatThrownBy(() -> orders.get(13)).isInstanceOf(IOException.class);

    // One logical call, three attempts (the default policy retries a GET answered 503 twice).
    assertThat(durationCount("503") - failedCalls).isEqualTo(1);
    assertThat(registry.get("http.client.request.duration").tags("server.address", "orders",
        "http.response.status_code", "503", "error.type", "503").timer().count()).isPositive();
    assertThat(attempts("failure") - failedAttempts).isEqualTo(3.0);
    assertThat(retries() - retries).isEqualTo(2.0);
  }

  @Test
  void prometheusEndpointShowsTheMeshSeries() throws Exception {
    assertThat(registry).isInstanceOf(PrometheusMeterRegistry.class);
    orders.get(7);
    HttpResponse<String> shop = send("/shop/orders/7");
    assertThat(shop.statusCode()).isEqualTo(200);

    String scrape = send("/actuator/prometheus").body();
    String endpoint = "localhost:" + ORDERS.port();
    assertThat(value(scrape, "http_client_request_duration_seconds_count{http_request_method=\"GET\","
        + "http_response_status_code=\"200\",server_address=\"orders\"}")).isEqualTo(durationCount("200"));
    assertThat(scrape).contains("http_client_request_duration_seconds_bucket{http_request_method=\"GET\","
        + "http_response_status_code=\"200\",server_address=\"orders\",le=\"0.005\"}");
    assertThat(value(scrape, "mesh_client_attempts_total{mesh_endpoint=\"" + endpoint + "\","
        + "mesh_outcome=\"success\",mesh_service=\"orders\"}")).isEqualTo(attempts("success"));
    // The inbound filter's histogram, for the request to /shop/orders/7.
    assertThat(value(scrape, "http_server_request_duration_seconds_count{http_request_method=\"GET\","
        + "http_response_status_code=\"200\",url_scheme=\"http\"}")).isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void metricsEndpointShowsTheMeshMeters() throws Exception {
    orders.get(7);
    HttpResponse<String> r = send("/actuator/metrics/mesh.client.attempts?tag=mesh.service:orders");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode json = new ObjectMapper().readTree(r.body());
    assertThat(json.path("name").asText()).isEqualTo("mesh.client.attempts");
    assertThat(json.path("measurements").get(0).path("value").asDouble()).isGreaterThanOrEqualTo(1.0);

    HttpResponse<String> names = send("/actuator/metrics");
    assertThat(new ObjectMapper().readTree(names.body()).path("names").toString())
        .contains("\"http.client.request.duration\"", "\"mesh.client.attempts\"",
            "\"http.server.request.duration\"");
  }

  private long durationCount(String status) {
    Timer t = registry.find("http.client.request.duration")
        .tags("server.address", "orders", "http.request.method", "GET", "http.response.status_code", status)
        .timer();
    return t == null ? 0 : t.count();
  }

  private double attempts(String outcome) {
    Counter c = registry.find("mesh.client.attempts")
        .tags("mesh.service", "orders", "mesh.endpoint", "localhost:" + ORDERS.port(), "mesh.outcome", outcome)
        .counter();
    return c == null ? 0 : c.count();
  }

  private double retries() {
    Counter c = registry.find("mesh.client.retries").tags("mesh.service", "orders").counter();
    return c == null ? 0 : c.count();
  }

  /** The value of the series {@code nameAndLabels} in a Prometheus text scrape. */
  private static double value(String scrape, String nameAndLabels) {
    Matcher m = Pattern.compile("^" + Pattern.quote(nameAndLabels) + " (\\S+)", Pattern.MULTILINE).matcher(scrape);
    assertThat(m.find()).as(nameAndLabels + " in\n" + scrape).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private HttpResponse<String> send(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
