package io.mesh4j.spring.boot.docs;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.Path;
import io.mesh4j.spring.boot.EnableMeshClients;
import java.io.IOException;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/**
 * The Java blocks of docs/spring-boot.md, compiled by the build: each region between {@code //
 * snippet:NAME} and {@code // end-snippet} is shown in the docs, and DocsSnippetsTest (examples/quickstart)
 * fails when the two differ. The application classes are inner (not static) classes so that no
 * component scan of a test application can pick them up; {@link Order} and {@link PaymentGrpc} stand
 * in for an application's own types.
 */
@SuppressWarnings("unused")
final class DocsSpringSnippets {
  private DocsSpringSnippets() {}

  /** Stands in for an application's type. */
  record Order(long id) {}

  /** Stands in for the stub class protoc generates for an application's {@code Payment} service. */
  static final class PaymentGrpc {
    static PaymentBlockingStub newBlockingStub(Channel channel) {
      return new PaymentBlockingStub();
    }

    static final class PaymentBlockingStub {}
  }

  final class MeshClients {
    // snippet:spring-mesh-clients
    @SpringBootApplication
    @EnableMeshClients(basePackages = "com.example.shop.clients")   // default: this class's package
    public class ShopApplication { }

    @MeshClient("orders")
    public interface OrdersClient {
      @GET("/orders/{id}")
      Order get(@Path("id") long id) throws IOException;
    }

    @RestController
    class ShopController {
      private final OrdersClient orders;               // injected: made by the MeshClients bean
      ShopController(OrdersClient orders) { this.orders = orders; }
    }
    // end-snippet
  }

  final class HttpExchanges {
    // snippet:spring-http-exchange
    @HttpExchange("/orders")
    public interface Orders {
      @GetExchange("/{id}")
      Order get(@PathVariable long id);
    }

    @Bean
    Orders orders(RestClient.Builder builder) {          // the auto-configured builder
      RestClient rest = builder.baseUrl("http://orders").build();
      return HttpServiceProxyFactory.builderFor(RestClientAdapter.create(rest)).build()
          .createClient(Orders.class);
    }
    // end-snippet
  }

  final class GrpcChannels {
    // snippet:spring-grpc-channel
    PaymentGrpc.PaymentBlockingStub payments(@Qualifier("paymentGrpcChannel") ManagedChannel channel) {
      return PaymentGrpc.newBlockingStub(channel);
    }
    // end-snippet
  }
}
