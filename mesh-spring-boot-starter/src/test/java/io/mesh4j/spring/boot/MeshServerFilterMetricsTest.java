package io.mesh4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import jakarta.servlet.Filter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The inbound filter records http.server.request.duration through the mesh's meter. */
class MeshServerFilterMetricsTest {
  @Configuration(proxyBeanMethods = false)
  static class Telemetry {
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
  void recordsServerRequestDuration() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .withUserConfiguration(Telemetry.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          Filter filter = ctx.getBean("meshServerFilter", FilterRegistrationBean.class).getFilter();

          MockHttpServletRequest get = new MockHttpServletRequest("GET", "/orders/7");
          MockHttpServletResponse ok = new MockHttpServletResponse();
          filter.doFilter(get, ok, new MockFilterChain());

          MockHttpServletRequest post = new MockHttpServletRequest("POST", "/orders");
          post.setScheme("https");
          MockHttpServletResponse created = new MockHttpServletResponse();
          assertThatThrownBy(() -> filter.doFilter(post, created, (req, res) -> {
            throw new IllegalStateException("boom");
          })).isInstanceOf(IllegalStateException.class);

          List<MetricData> metrics = ctx.getBean(InMemoryMetricReader.class).collectAllMetrics().stream()
              .filter(m -> m.getName().equals("http.server.request.duration")).toList();
          assertThat(metrics).hasSize(1);
          MetricData metric = metrics.get(0);
          assertThat(metric.getUnit()).isEqualTo("s");
          List<HistogramPointData> points = List.copyOf(metric.getHistogramData().getPoints());
          assertThat(points).hasSize(2);
          HistogramPointData getPoint = points.stream()
              .filter(p -> "GET".equals(p.getAttributes().get(MeshServerFilter.METHOD))).findFirst().orElseThrow();
          assertThat(getPoint.getCount()).isEqualTo(1);
          assertThat(getPoint.getAttributes().get(MeshServerFilter.STATUS)).isEqualTo(200L);
          assertThat(getPoint.getAttributes().get(MeshServerFilter.SCHEME)).isEqualTo("http");
          HistogramPointData postPoint = points.stream()
              .filter(p -> "POST".equals(p.getAttributes().get(MeshServerFilter.METHOD))).findFirst().orElseThrow();
          assertThat(postPoint.getAttributes().get(MeshServerFilter.STATUS)).isEqualTo(500L);
          assertThat(postPoint.getAttributes().get(MeshServerFilter.SCHEME)).isEqualTo("https");
          assertThat(postPoint.getAttributes().get(MeshServerFilter.ERROR_TYPE))
              .isEqualTo(IllegalStateException.class.getName());
        });
  }
}
