package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.spring.boot.internal.TelemetryDecorator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configured mesh records its metrics in the application's {@link MeterRegistry}: calls through
 * {@code meshOkHttpClient} to a JDK HTTP server on loopback.
 */
class MeshMicrometerMetricsTest {
  static HttpServer backend;

  @BeforeAll
  static void start() throws IOException {
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    backend.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    backend.start();
  }

  @AfterAll
  static void stop() {
    backend.stop(0);
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
      .withPropertyValues("mesh.services.orders.endpoints[0]=127.0.0.1:" + backend.getAddress().getPort());

  @Configuration(proxyBeanMethods = false)
  static class Registry {
    @Bean
    SimpleMeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Sdk {
    @Bean
    InMemoryMetricReader metricReader() {
      return InMemoryMetricReader.create();
    }

    @Bean
    OpenTelemetry openTelemetry(InMemoryMetricReader reader) {
      return OpenTelemetrySdk.builder()
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
          .build();
    }
  }

  @Test
  void recordsInTheApplicationsRegistry() {
    runner.withUserConfiguration(Registry.class).run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx.getBean(Mesh.class).telemetry().metricsEnabled()).isTrue();
      call(ctx, 3);

      MeterRegistry registry = ctx.getBean(MeterRegistry.class);
      assertThat(registry.get("http.client.request.duration")
          .tags("server.address", "orders", "http.request.method", "GET", "http.response.status_code", "200")
          .timer().count()).isEqualTo(3);
      assertThat(registry.get("mesh.client.attempts")
          .tags("mesh.service", "orders", "mesh.endpoint", "127.0.0.1:" + backend.getAddress().getPort(),
              "mesh.outcome", "success")
          .counter().count()).isEqualTo(3.0);
      assertThat(registry.find("mesh.client.retries").meters()).isEmpty();
    });
  }

  @Test
  void propertyOffRecordsNothingInTheRegistry() {
    runner.withUserConfiguration(Registry.class).withPropertyValues("mesh.metrics.micrometer.enabled=false")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(TelemetryDecorator.class);
          call(ctx, 2);
          assertThat(ctx.getBean(Mesh.class).telemetry().metricsEnabled()).isFalse();
          assertThat(ctx.getBean(MeterRegistry.class).getMeters()).isEmpty();
        });
  }

  @Test
  void withoutARegistryNothingChanges() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).hasSingleBean(TelemetryDecorator.class);
      assertThat(ctx.getBean(Mesh.class).telemetry().metricsEnabled()).isFalse();
      call(ctx, 1);
    });
  }

  @Test
  void withoutMicrometerOnTheClassPath() {
    runner.withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(TelemetryDecorator.class);
          assertThat(ctx.getBean(Mesh.class).telemetry().metricsEnabled()).isFalse();
          call(ctx, 1);
        });
  }

  @Test
  void openTelemetrySdkAndRegistryBothGetTheMetrics() {
    runner.withUserConfiguration(Registry.class, Sdk.class).run(ctx -> {
      assertThat(ctx).hasNotFailed();
      call(ctx, 2);

      assertThat(ctx.getBean(MeterRegistry.class).get("http.client.request.duration")
          .tag("server.address", "orders").timer().count()).isEqualTo(2);
      List<MetricData> exported = List.copyOf(ctx.getBean(InMemoryMetricReader.class).collectAllMetrics());
      MetricData duration = exported.stream().filter(m -> m.getName().equals("http.client.request.duration"))
          .findFirst().orElseThrow();
      assertThat(duration.getHistogramData().getPoints()).singleElement()
          .satisfies(p -> assertThat(p.getCount()).isEqualTo(2));
      assertThat(exported).extracting(MetricData::getName).contains("mesh.client.attempts");
    });
  }

  @Test
  void openTelemetrySdkOnlyWhenThePropertyIsOff() {
    runner.withUserConfiguration(Registry.class, Sdk.class)
        .withPropertyValues("mesh.metrics.micrometer.enabled=false")
        .run(ctx -> {
          call(ctx, 1);
          assertThat(ctx.getBean(MeterRegistry.class).getMeters()).isEmpty();
          assertThat(ctx.getBean(InMemoryMetricReader.class).collectAllMetrics()).extracting(MetricData::getName)
              .contains("http.client.request.duration", "mesh.client.attempts");
        });
  }

  private static void call(AssertableApplicationContext ctx, int times) throws IOException {
    OkHttpClient client = ctx.getBean(MeshAutoConfiguration.OK_HTTP_CLIENT, OkHttpClient.class);
    for (int i = 0; i < times; i++) {
      try (Response r = client.newCall(new Request.Builder().url("http://orders/orders/" + i).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("ok");
      }
    }
  }
}
