package io.mesh4j.examples.shop.order;

import io.mesh4j.examples.shop.common.ShopInstanceConfiguration;
import io.mesh4j.spring.boot.EnableMeshClients;
import io.grpc.ManagedChannel;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
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
  /**
   * The one place that says how order reaches payment: {@code shop.payment.transport=grpc} uses the
   * mesh gRPC channel the starter makes for {@code mesh.grpc.channels: payment}; otherwise HTTP through
   * the annotated {@link PaymentClient}.
   */
  @Bean
  PaymentGateway paymentGateway(@Value("${shop.payment.transport:http}") String transport,
      ObjectProvider<PaymentClient> http, @Qualifier("paymentGrpcChannel") ObjectProvider<ManagedChannel> grpc) {
    return transport.equals("grpc") ? new GrpcPaymentGateway(grpc.getObject()) : new HttpPaymentGateway(http.getObject());
  }
}
