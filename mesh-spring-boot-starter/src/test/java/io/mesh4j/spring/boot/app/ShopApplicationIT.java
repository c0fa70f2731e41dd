package io.mesh4j.spring.boot.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(classes = ShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.endpoints.web.exposure.include=mesh,health")
class ShopApplicationIT {
  static final WireMockServer ORDERS = new WireMockServer(options().dynamicPort());

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

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void stubs() {
    ORDERS.resetAll();
    ORDERS.stubFor(get(urlEqualTo("/orders/7")).willReturn(aResponse().withStatus(200).withBody("order 7")));
  }

  @Test
  void callsTheBackendThroughAMeshClient() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/shop/orders/7")).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("order 7");
  }

  @Test
  void inboundDeadlineIsPropagatedToOutgoingCalls() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/shop/orders/7"))
        .header("mesh-timeout-ms", "300").build());
    assertThat(r.statusCode()).isEqualTo(200);
    List<LoggedRequest> sent = ORDERS.findAll(
        com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlEqualTo("/orders/7")));
    assertThat(sent).hasSize(1);
    long forwarded = Long.parseLong(sent.get(0).getHeader("mesh-timeout-ms"));
    assertThat(forwarded).isBetween(1L, 300L);

    // Without the caller's deadline the outgoing call gets the policy's own total timeout, longer than 300 ms.
    ORDERS.resetRequests();
    send(HttpRequest.newBuilder(uri("/shop/orders/7")).build());
    LoggedRequest plain = ORDERS.findAll(
        com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlEqualTo("/orders/7"))).get(0);
    assertThat(Long.parseLong(plain.getHeader("mesh-timeout-ms"))).isGreaterThan(300L);
  }

  @Test
  void meshActuatorEndpoint() throws Exception {
    send(HttpRequest.newBuilder(uri("/shop/orders/7")).build());
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/actuator/mesh")).build());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode json = new ObjectMapper().readTree(r.body());
    JsonNode orders = json.path("services").path("orders");
    assertThat(orders.path("endpoints").get(0).path("address").asText()).isEqualTo("localhost:" + ORDERS.port());
    assertThat(orders.path("endpoints").get(0).path("ejected").asBoolean()).isFalse();
    assertThat(orders.path("endpoints").get(0).has("ewmaMs")).isTrue();
    assertThat(orders.path("endpoints").get(0).has("pending")).isTrue();
    assertThat(orders.has("policyRevision")).isTrue();
    assertThat(json.path("breakers").path("orders").asText()).isEqualTo("CLOSED");
    assertThat(json.has("controlPlane")).isFalse();
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
