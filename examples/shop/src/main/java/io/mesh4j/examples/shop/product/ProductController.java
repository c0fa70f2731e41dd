package io.mesh4j.examples.shop.product;

import io.mesh4j.examples.shop.common.InstanceSpec;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@RestController
class ProductController {
  private final InstanceSpec instance;

  ProductController(InstanceSpec instance) {
    this.instance = instance;
  }

  @GetMapping("/products/{id}")
  Product get(@PathVariable("id") int id) throws InterruptedException {
    if (!instance.extraLatency().isZero()) {
      Thread.sleep(instance.extraLatency().toMillis()); // the slow instance: its simulated extra work
    }
    return new Product(id, "product-" + id, 100 + (id % 50) * 25L);
  }
}
