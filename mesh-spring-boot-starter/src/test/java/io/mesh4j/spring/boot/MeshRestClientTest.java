package io.mesh4j.spring.boot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.annotation.PostExchange;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/** Spring's RestClient and {@code @HttpExchange} interfaces through the mesh. */
class MeshRestClientTest {
  static final WireMockServer ORDERS = new WireMockServer(options().dynamicPort());

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class, HttpClientAutoConfiguration.class,
          RestClientAutoConfiguration.class));

  @HttpExchange("/orders")
  interface Orders {
    @GetExchange("/{id}")
    String get(@PathVariable("id") int id);

    @PostExchange
    String create(@RequestBody String order);
  }

  @BeforeAll
  static void start() {
    ORDERS.start();
  }

  @AfterAll
  static void stop() {
    ORDERS.stop();
  }

  @BeforeEach
  void reset() {
    ORDERS.resetAll();
  }

  private ApplicationContextRunner withOrders() {
    return runner.withPropertyValues("mesh.services.orders.endpoints[0]=127.0.0.1:" + ORDERS.port());
  }

  private static Orders client(RestClient.Builder builder, String baseUrl) {
    RestClient rest = builder.baseUrl(baseUrl).build();
    return HttpServiceProxyFactory.builderFor(RestClientAdapter.create(rest)).build().createClient(Orders.class);
  }

  @Test
  void httpExchangeClientGoesThroughTheMesh() {
    ORDERS.stubFor(get(urlEqualTo("/orders/7")).willReturn(aResponse().withStatus(200).withBody("order 7")));
    ORDERS.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/orders"))
        .willReturn(aResponse().withStatus(201).withBody("created")));
    withOrders().run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).hasBean("meshRestClientCustomizer");
      Orders orders = client(ctx.getBean(RestClient.Builder.class), "http://orders");
      assertThat(orders.get(7)).isEqualTo("order 7");
      assertThat(orders.create("{\"item\":1}")).isEqualTo("created");
      List<LoggedRequest> gets = ORDERS.findAll(getRequestedFor(urlEqualTo("/orders/7")));
      assertThat(gets).hasSize(1);
      assertThat(gets.get(0).getHeader("mesh-attempt")).isEqualTo("1");
      assertThat(gets.get(0).getHeader("mesh-timeout-ms")).isNotBlank();
      LoggedRequest post = ORDERS.getAllServeEvents().stream().map(e -> e.getRequest())
          .filter(r -> r.getMethod().getName().equals("POST")).findFirst().orElseThrow();
      assertThat(post.getBodyAsString()).isEqualTo("{\"item\":1}");
      assertThat(post.getHeader("mesh-attempt")).isEqualTo("1");
    });
  }

  @Test
  void a503ForAGetIsRetried() {
    ORDERS.stubFor(get(urlEqualTo("/orders/8")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
    ORDERS.stubFor(get(urlEqualTo("/orders/8")).inScenario("flaky").whenScenarioStateIs("up")
        .willReturn(aResponse().withStatus(200).withBody("order 8")));
    withOrders().run(ctx -> {
      Orders orders = client(ctx.getBean(RestClient.Builder.class), "http://orders");
      assertThat(orders.get(8)).isEqualTo("order 8");
      List<LoggedRequest> gets = ORDERS.findAll(getRequestedFor(urlEqualTo("/orders/8")));
      assertThat(gets).hasSize(2);
      assertThat(gets).extracting(r -> r.getHeader("mesh-attempt")).containsExactly("1", "2");
    });
  }

  @Test
  void otherHostsGoToTheDelegate() {
    ORDERS.stubFor(get(urlEqualTo("/orders/9")).willReturn(aResponse().withStatus(200).withBody("order 9")));
    withOrders().run(ctx -> {
      Orders orders = client(ctx.getBean(RestClient.Builder.class), "http://127.0.0.1:" + ORDERS.port());
      assertThat(orders.get(9)).isEqualTo("order 9");
      List<LoggedRequest> gets = ORDERS.findAll(getRequestedFor(urlEqualTo("/orders/9")));
      assertThat(gets).hasSize(1);
      assertThat(gets.get(0).containsHeader("mesh-attempt")).isFalse();
    });
  }

  @Test
  void backsOffWithoutRestClient() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.restclient"))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(RestClientCustomizer.class);
        });
  }
}
