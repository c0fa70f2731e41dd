package io.mesh4j.examples.shop.common;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * What every shop application imports: the {@link ServedByFilter}. The {@link InstanceSpec} and the
 * shared {@link Traffic} are put into each application context by the demo when it starts the instance.
 */
@Configuration(proxyBeanMethods = false)
public class ShopInstanceConfiguration {
  @Bean
  FilterRegistrationBean<ServedByFilter> servedByFilter(InstanceSpec instance, Traffic traffic) {
    FilterRegistrationBean<ServedByFilter> r = new FilterRegistrationBean<>(new ServedByFilter(instance, traffic));
    r.setOrder(Ordered.HIGHEST_PRECEDENCE); // outside the mesh's own filter: measures the whole request
    return r;
  }
}
