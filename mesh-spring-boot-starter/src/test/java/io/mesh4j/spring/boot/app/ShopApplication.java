package io.mesh4j.spring.boot.app;

import io.mesh4j.spring.boot.EnableMeshClients;
import java.io.IOException;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@SpringBootApplication
@EnableMeshClients
public class ShopApplication {
  @RestController
  static class ShopController {
    private final OrdersClient orders;

    ShopController(OrdersClient orders) {
      this.orders = orders;
    }

    @GetMapping("/shop/orders/{id}")
    String order(@PathVariable("id") long id) throws IOException {
      return orders.get(id);
    }
  }
}
