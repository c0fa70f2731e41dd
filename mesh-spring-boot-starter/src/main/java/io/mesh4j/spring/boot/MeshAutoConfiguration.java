package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.http.MeshOkHttp;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mesh4j.http.client.BodyCodec;
import io.mesh4j.http.client.JacksonCodec;
import io.mesh4j.http.client.MeshClients;
import io.mesh4j.spring.boot.internal.MicrometerOpenTelemetry;
import io.mesh4j.spring.boot.internal.TelemetryDecorator;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.servlet.Filter;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.util.ClassUtils;
import tools.jackson.databind.json.JsonMapper;

/**
 * The mesh for a Spring Boot application: a {@link Mesh} configured from {@code mesh.*} (static endpoints,
 * or the control plane when {@code mesh.control-plane.url} is set), a mesh-enabled {@link OkHttpClient}
 * named {@code meshOkHttpClient}, {@link MeshClients} for {@code @MeshClient} interfaces, the inbound
 * servlet filter, a {@code RestClient.Builder} customizer that sends requests to mesh services (and so
 * {@code @HttpExchange} clients built on it) through the mesh, and the {@code mesh} actuator endpoint and
 * health indicator. The mesh's metrics go to the application's {@code OpenTelemetry} bean and, when it
 * has one, its Micrometer {@code MeterRegistry} ({@code mesh.metrics.micrometer.enabled}). Every bean
 * backs off when the application defines its own.
 */
@AutoConfiguration
@EnableConfigurationProperties(MeshProperties.class)
public class MeshAutoConfiguration {
  /** The name of the mesh-enabled {@link OkHttpClient} bean. */
  public static final String OK_HTTP_CLIENT = "meshOkHttpClient";

  @Bean
  @ConditionalOnMissingBean
  MeshSettings meshSettings(MeshProperties properties, Environment environment) {
    return MeshSettings.of(properties, environment);
  }

  /** Watches the control plane (and registers this instance) when {@code mesh.control-plane.url} is set. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "mesh.control-plane", name = "url")
  public ControlPlaneClient meshControlPlaneClient(MeshProperties properties, MeshSettings settings) {
    MeshProperties.ControlPlane cp = properties.getControlPlane();
    ControlPlaneClient.Builder b = ControlPlaneClient.builder(settings.controlPlaneUrl)
        .token(cp.getToken())
        .cacheFile(cp.getCacheFile());
    if (cp.getWaitTime() != null) {
      b.waitTime(cp.getWaitTime());
    }
    if (settings.registration != null) {
      b.register(settings.registration);
    }
    if (cp.getReportInterval() != null) {
      b.reportInterval(cp.getReportInterval());
    }
    if (properties.getServiceName() != null && !properties.getServiceName().isBlank()) {
      b.serviceName(properties.getServiceName().trim());
    }
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean
  public Mesh mesh(MeshSettings settings, ObjectProvider<ControlPlaneClient> controlPlane,
      ObjectProvider<OpenTelemetry> openTelemetry, ObjectProvider<TelemetryDecorator> telemetryDecorators,
      ObjectProvider<MeshBuilderCustomizer> customizers) {
    OpenTelemetry otel = openTelemetry.getIfAvailable(OpenTelemetry::noop);
    for (TelemetryDecorator decorator : telemetryDecorators.orderedStream().toList()) {
      otel = decorator.decorate(otel);
    }
    Mesh.Builder b = Mesh.builder()
        .defaultPolicy(settings.defaultPolicy)
        .openTelemetry(otel);
    ControlPlaneClient client = controlPlane.getIfAvailable();
    if (client != null) {
      b.discovery(client.discovery()).policies(client.policies());
    } else {
      b.discovery(settings.staticDiscovery()).policies(settings.staticPolicies());
    }
    customizers.orderedStream().forEach(c -> c.customize(b));
    Mesh mesh = b.build();
    if (client != null) {
      client.report(mesh); // traffic reports for the control plane's topology and fleet views
    }
    return mesh;
  }

  @Bean(name = OK_HTTP_CLIENT)
  @ConditionalOnMissingBean(name = OK_HTTP_CLIENT)
  public OkHttpClient meshOkHttpClient(Mesh mesh) {
    return MeshOkHttp.client(mesh, new OkHttpClient());
  }

  @Bean
  @ConditionalOnMissingBean
  public MeshClients meshClients(@Qualifier(OK_HTTP_CLIENT) OkHttpClient meshOkHttpClient,
      ObjectProvider<BodyCodec> codec, ApplicationContext context) {
    return MeshClients.builder(meshOkHttpClient)
        .codec(codec.getIfUnique(() -> applicationCodec(context, context.getClassLoader())))
        .build();
  }

  /**
   * The body codec of {@code @MeshClient} interfaces when the application defines no {@link BodyCodec}
   * bean: its Jackson 3 {@code JsonMapper} (Spring Boot 4's default), else its Jackson 2
   * {@link ObjectMapper}, else {@link JacksonCodec#standard()}.
   */
  static BodyCodec applicationCodec(ListableBeanFactory beans, ClassLoader classLoader) {
    if (ClassUtils.isPresent("tools.jackson.databind.json.JsonMapper", classLoader)) {
      BodyCodec codec = Jackson3.codec(beans);
      if (codec != null) {
        return codec;
      }
    }
    ObjectMapper mapper = beans.getBeanProvider(ObjectMapper.class).getIfUnique();
    return mapper != null ? JacksonCodec.of(mapper) : JacksonCodec.standard();
  }

  /** Separate, so that Jackson 3's classes are loaded only when they are on the class path. */
  static final class Jackson3 {
    private Jackson3() {}

    static BodyCodec codec(ListableBeanFactory beans) {
      JsonMapper mapper = beans.getBeanProvider(JsonMapper.class).getIfUnique();
      return mapper != null ? new Jackson3Codec(mapper) : null;
    }
  }

  /**
   * {@code RestClient}: every auto-configured {@code RestClient.Builder} (and so every {@code @HttpExchange}
   * client built from one) sends requests whose host is a mesh service through the mesh's OkHttpClient;
   * other hosts go to the request factory Spring Boot would have used.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.web.client.RestClient",
      "org.springframework.boot.restclient.RestClientCustomizer",
      "org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder"})
  static class RestClientConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "meshRestClientCustomizer")
    RestClientCustomizer meshRestClientCustomizer(Mesh mesh, @Qualifier(OK_HTTP_CLIENT) OkHttpClient meshOkHttpClient,
        ObjectProvider<ClientHttpRequestFactoryBuilder<?>> factoryBuilder, ObjectProvider<HttpClientSettings> settings) {
      ClientHttpRequestFactory delegate = factoryBuilder.getIfAvailable(ClientHttpRequestFactoryBuilder::detect)
          .build(settings.getIfAvailable(HttpClientSettings::defaults));
      MeshClientHttpRequestFactory factory = new MeshClientHttpRequestFactory(mesh, meshOkHttpClient, delegate);
      return builder -> builder.requestFactory(factory);
    }
  }

  /**
   * Micrometer, when it is on the class path and {@code mesh.metrics.micrometer.enabled} is not false:
   * the mesh's metrics are recorded in the application's {@link MeterRegistry} (the unique or primary
   * one, looked up when the {@code Mesh} bean is made; none: nothing changes), and still in the
   * application's OpenTelemetry SDK when its {@code OpenTelemetry} bean has one.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  @ConditionalOnProperty(prefix = "mesh.metrics.micrometer", name = "enabled", havingValue = "true",
      matchIfMissing = true)
  static class MicrometerConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "meshMicrometerMetrics")
    TelemetryDecorator meshMicrometerMetrics(ObjectProvider<MeterRegistry> registry) {
      return otel -> {
        MeterRegistry r = registry.getIfUnique();
        return r == null ? otel : MicrometerOpenTelemetry.withRegistry(otel, r);
      };
    }
  }

  /**
   * gRPC, only when mesh-grpc and grpc-java are on the class path: a channel bean per service in
   * {@code mesh.grpc.channels}, and the server interceptor for the application's gRPC server.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"io.mesh4j.grpc.MeshGrpc", "io.grpc.ManagedChannel"})
  static class GrpcConfiguration {
    @Bean
    static MeshGrpcChannels meshGrpcChannels(Environment environment) {
      return new MeshGrpcChannels(environment);
    }

    /**
     * Add to the application's gRPC server: the caller's deadline and trace become current in handlers,
     * and with {@code mesh.service-name} the authorization rules of that service's policy are enforced.
     */
    @Bean
    @ConditionalOnMissingBean
    io.mesh4j.grpc.MeshServerInterceptor meshServerInterceptor(Mesh mesh, MeshProperties properties) {
      String service = properties.getServiceName();
      return service == null || service.isBlank() ? new io.mesh4j.grpc.MeshServerInterceptor(mesh)
          : new io.mesh4j.grpc.MeshServerInterceptor(mesh, service.trim());
    }
  }

  /** Inbound: the caller's deadline and trace context become current while a request is handled. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass({Filter.class, FilterRegistrationBean.class})
  static class ServletConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "meshServerFilter")
    FilterRegistrationBean<MeshServerFilter> meshServerFilter(Mesh mesh, MeshProperties properties) {
      // With the service's own name, the filter also enforces the authorization rules of its policy.
      String service = properties.getServiceName();
      MeshServerFilter filter = service == null || service.isBlank() ? new MeshServerFilter(mesh)
          : new MeshServerFilter(mesh, service.trim());
      FilterRegistrationBean<MeshServerFilter> registration = new FilterRegistrationBean<>(filter);
      registration.setName("meshServerFilter");
      // First, so that everything else handling the request (security, logging, controllers) runs
      // inside the caller's deadline, and a call refused by authorization reaches none of it.
      registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
      return registration;
    }
  }

  /**
   * The {@code mesh} actuator endpoint. Two levels: the outer class checks the classes, so the inner one,
   * whose conditions live in the actuator's own jars, is not even read when they are missing.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.actuate.endpoint.annotation.Endpoint",
      "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"})
  static class EndpointConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnAvailableEndpoint(MeshEndpoint.class)
    static class Available {
      @Bean
      @ConditionalOnMissingBean
      MeshEndpoint meshEndpoint(Mesh mesh, ObjectProvider<ControlPlaneClient> controlPlane) {
        return new MeshEndpoint(mesh, controlPlane);
      }
    }
  }

  /** Health of the control-plane connection ({@code /actuator/health/mesh}); two levels as above. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.health.contributor.HealthIndicator",
      "org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator"})
  static class HealthConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "mesh.control-plane", name = "url")
    @ConditionalOnEnabledHealthIndicator("mesh")
    static class Enabled {
      @Bean
      @ConditionalOnMissingBean(name = "meshHealthIndicator")
      ControlPlaneHealthIndicator meshHealthIndicator(ControlPlaneClient controlPlane) {
        return new ControlPlaneHealthIndicator(controlPlane);
      }
    }
  }
}
