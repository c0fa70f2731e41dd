package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.Mesh;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshClients;
import io.mesh4j.policy.ServicePolicy;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class MeshAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  @Test
  void defaultBeans() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).hasSingleBean(Mesh.class);
      assertThat(ctx).hasBean(MeshAutoConfiguration.OK_HTTP_CLIENT);
      assertThat(ctx).hasSingleBean(MeshClients.class);
      assertThat(ctx).doesNotHaveBean(ControlPlaneClient.class);
      assertThat(ctx).doesNotHaveBean(FilterRegistrationBean.class);
      assertThat(ctx).doesNotHaveBean(ControlPlaneHealthIndicator.class);
      // No OpenTelemetry bean: the mesh runs on the no-op one rather than whatever is global.
      assertThat(ctx.getBean(Mesh.class).telemetry().tracingEnabled()).isFalse();
    });
  }

  @Test
  void usesTheApplicationsOpenTelemetry() {
    runner.withBean(io.opentelemetry.api.OpenTelemetry.class,
            () -> io.opentelemetry.api.OpenTelemetry.propagating(io.opentelemetry.context.propagation.ContextPropagators
                .create(io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator.getInstance())))
        .run(ctx -> assertThat(ctx.getBean(Mesh.class).telemetry().propagator().fields())
            .contains("traceparent", "mesh-timeout-ms"));
    runner.run(ctx -> assertThat(ctx.getBean(Mesh.class).telemetry().propagator().fields())
        .containsExactly("mesh-timeout-ms"));
  }

  @Test
  void customizersChangeTheBuilderInOrderBeforeTheMeshIsBuilt() {
    ServicePolicy seven = ServicePolicy.builder().totalTimeout(Duration.ofSeconds(7)).build();
    ServicePolicy nine = ServicePolicy.builder().totalTimeout(Duration.ofSeconds(9)).build();
    runner.withPropertyValues("mesh.services.orders.endpoints[0]=10.0.0.1:8080")
        .withBean("first", MeshBuilderCustomizer.class, () -> new Ordered(1, b -> b.defaultPolicy(nine)))
        .withBean("second", MeshBuilderCustomizer.class, () -> new Ordered(2, b -> b.defaultPolicy(seven)))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          Mesh mesh = ctx.getBean(Mesh.class);
          assertThat(mesh.service("orders").policy().timeouts().total()).isEqualTo(Duration.ofSeconds(7));
        });
  }

  /** A customizer with an order, as an application would annotate its bean method. */
  private record Ordered(int order, MeshBuilderCustomizer delegate)
      implements MeshBuilderCustomizer, org.springframework.core.Ordered {
    @Override
    public void customize(Mesh.Builder builder) {
      delegate.customize(builder);
    }

    @Override
    public int getOrder() {
      return order;
    }
  }

  @Test
  void backsOffFromTheApplicationsBeans() {
    runner.withUserConfiguration(OwnBeans.class).run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx.getBean(Mesh.class)).isSameAs(ctx.getBean(OwnBeans.class).mesh);
      assertThat(ctx.getBean(MeshAutoConfiguration.OK_HTTP_CLIENT)).isSameAs(ctx.getBean(OwnBeans.class).client);
      assertThat(ctx).hasSingleBean(MeshClients.class);
    });
  }

  @Test
  void staticEndpointsAndPolicies() {
    runner.withPropertyValues(
            "mesh.services.orders.endpoints[0]=10.0.0.1:8080",
            "mesh.services.orders.endpoints[1]=[::1]:8081",
            "mesh.services.orders.policy={\"timeouts\": {\"total\": \"1500ms\"}}",
            "mesh.default-policy={\"timeouts\": {\"total\": \"4s\"}}")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          Mesh mesh = ctx.getBean(Mesh.class);
          assertThat(mesh.handles("orders")).isTrue();
          assertThat(mesh.service("orders").endpoints())
              .extracting(e -> e.endpoint())
              .containsExactly(Endpoint.of("10.0.0.1", 8080), Endpoint.of("::1", 8081));
          assertThat(mesh.service("orders").policy().timeouts().total()).isEqualTo(Duration.ofMillis(1500));
          assertThat(mesh.defaultPolicy().timeouts().total()).isEqualTo(Duration.ofSeconds(4));
          assertThat(mesh.service("payments").policy().timeouts().total()).isEqualTo(Duration.ofSeconds(4));
        });
  }

  @Test
  void badEndpointNamesTheProperty() {
    runner.withPropertyValues("mesh.services.orders.endpoints[0]=10.0.0.1:8080",
            "mesh.services.orders.endpoints[1]=x")
        .run(ctx -> {
          assertThat(ctx).hasFailed();
          assertThat(rootMessage(ctx.getStartupFailure()))
              .contains("mesh.services.orders.endpoints[1]: 'x' (expected: host:port)");
        });
  }

  @Test
  void badPolicyListsEveryFieldUnderThePropertyPath() {
    runner.withPropertyValues(
            "mesh.services.orders.policy={\"timeouts\": {\"total\": \"-1s\"}, \"nope\": 1}",
            "mesh.default-policy=[1]")
        .run(ctx -> {
          assertThat(ctx).hasFailed();
          String message = rootMessage(ctx.getStartupFailure());
          assertThat(message)
              .contains("mesh.services.orders.policy.timeouts.total: ")
              .contains("mesh.services.orders.policy.nope: ")
              .contains("mesh.default-policy: array (expected: a JSON object)");
        });
  }

  @Test
  void malformedPolicyJson() {
    runner.withPropertyValues("mesh.services.orders.policy={oops")
        .run(ctx -> assertThat(rootMessage(ctx.getStartupFailure()))
            .contains("mesh.services.orders.policy: malformed JSON"));
  }

  @Test
  void controlPlane() {
    runner.withPropertyValues("mesh.control-plane.url=http://127.0.0.1:1", "mesh.registration.enabled=false",
            "mesh.control-plane.wait-time=1s")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).hasSingleBean(ControlPlaneClient.class);
          assertThat(ctx).hasSingleBean(ControlPlaneHealthIndicator.class);
          Health health = ctx.getBean(ControlPlaneHealthIndicator.class).health();
          // Away: still UP (traffic is served from the last known state), marked degraded.
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("connected", false).containsEntry("state", "degraded");
          MeshEndpoint endpoint = new MeshEndpoint(ctx.getBean(Mesh.class), ctx.getBeanProvider(ControlPlaneClient.class));
          assertThat(endpoint.mesh()).containsKey("controlPlane");
        });
  }

  @Test
  void severalControlPlaneReplicasSeparatedByCommas() {
    runner.withPropertyValues("mesh.control-plane.url=http://127.0.0.1:1, http://127.0.0.1:2",
            "mesh.registration.enabled=false", "mesh.control-plane.wait-time=1s")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          Health health = ctx.getBean(ControlPlaneHealthIndicator.class).health();
          assertThat(health.getDetails().get("controlPlane")).isIn("http://127.0.0.1:1", "http://127.0.0.1:2");
        });
    runner.withPropertyValues("mesh.control-plane.url=http://127.0.0.1:1,,http://127.0.0.1:1",
            "mesh.registration.enabled=false")
        .run(ctx -> {
          String message = rootMessage(ctx.getStartupFailure());
          assertThat(message).contains("mesh.control-plane.url: '' (expected: an http or https URL");
          assertThat(message).contains("mesh.control-plane.url: 'http://127.0.0.1:1' given twice");
        });
  }

  @Test
  void controlPlaneProblemsNameTheProperties() {
    runner.withPropertyValues("mesh.control-plane.url=ftp://x", "server.port=0")
        .run(ctx -> {
          String message = rootMessage(ctx.getStartupFailure());
          assertThat(message).contains("mesh.control-plane.url: 'ftp://x' (expected: an http or https URL");
          assertThat(message).contains("mesh.service-name: missing");
        });
    runner.withPropertyValues("mesh.control-plane.url=http://127.0.0.1:1", "mesh.service-name=shop",
            "server.port=0")
        .run(ctx -> assertThat(rootMessage(ctx.getStartupFailure()))
            .contains("mesh.registration.port: 0 (from server.port)"));
  }

  @Test
  void servletFilterInAServletApplication() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).hasBean("meshServerFilter");
          assertThat(ctx.getBean("meshServerFilter", FilterRegistrationBean.class).getFilter())
              .isInstanceOf(MeshServerFilter.class);
        });
  }

  @Test
  void withoutServletActuatorOrHealthOnTheClassPath() {
    runner
        .withClassLoader(new org.springframework.boot.test.context.FilteredClassLoader(
            "org.springframework.boot.actuate", "org.springframework.boot.health", "jakarta.servlet"))
        .withPropertyValues("mesh.control-plane.url=http://127.0.0.1:1", "mesh.registration.enabled=false",
            "management.endpoints.web.exposure.include=*")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).hasSingleBean(Mesh.class);
          assertThat(ctx).doesNotHaveBean("meshServerFilter");
          assertThat(ctx).doesNotHaveBean("meshEndpoint");
          assertThat(ctx).doesNotHaveBean("meshHealthIndicator");
        });
  }

  @Test
  void actuatorEndpointBean() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=mesh")
        .run(ctx -> assertThat(ctx).hasSingleBean(MeshEndpoint.class));
    // Not exposed: not available, no bean.
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(MeshEndpoint.class));
  }

  @Test
  void enableMeshClientsRegistersInterfaces() {
    runner.withUserConfiguration(WithClients.class)
        .withPropertyValues("mesh.services.orders.endpoints[0]=127.0.0.1:9")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).hasSingleBean(ScannedClient.class);
          assertThat(ctx.getBean(ScannedClient.class))
              .isSameAs(ctx.getBean(MeshClients.class).create(ScannedClient.class));
          assertThat(ctx).doesNotHaveBean(NotAClient.class);
        });
  }

  private static String rootMessage(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append('\n');
    }
    return all.toString();
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    final Mesh mesh = Mesh.builder().build();
    final OkHttpClient client = io.mesh4j.http.MeshOkHttp.client(mesh, new OkHttpClient());

    @Bean
    Mesh myMesh() {
      return mesh;
    }

    @Bean(name = MeshAutoConfiguration.OK_HTTP_CLIENT)
    OkHttpClient myClient() {
      return client;
    }
  }

  @MeshClient("orders")
  public interface ScannedClient {
    @GET("/orders")
    String list();
  }

  public interface NotAClient {}

  @Configuration(proxyBeanMethods = false)
  @EnableMeshClients(basePackageClasses = MeshAutoConfigurationTest.class)
  static class WithClients {}
}
