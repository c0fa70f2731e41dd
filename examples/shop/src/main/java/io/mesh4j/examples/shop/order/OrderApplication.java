package io.mesh4j.examples.shop.order;

import io.mesh4j.examples.shop.common.ShopInstanceConfiguration;
import io.mesh4j.spring.boot.EnableMeshClients;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The order service: calls product (HTTP, {@link ProductClient}) and payment (through the
 * {@link PaymentGateway} seam). {@code @EnableMeshClients} makes a bean of every {@code @MeshClient}
 * interface in this package.
 */
@SpringBootApplication
@EnableMeshClients
@Import(ShopInstanceConfiguration.class)
public class OrderApplication {
  @Bean
  PaymentGateway paymentGateway(PaymentClient client) {
    return new HttpPaymentGateway(client);
  }
}
