package io.mesh4j.examples.shop.order;

import io.mesh4j.examples.shop.common.InstanceSpec;
import io.mesh4j.examples.shop.common.ServedByFilter;
import io.mesh4j.examples.shop.product.Product;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.client.HttpStatusException;
import io.mesh4j.http.client.MeshResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The order service: quotes (product only) and orders (product, then payment). Both downstream calls
 * go through the mesh; this class only says what to call.
 */
@RestController
class OrderController {
  private final InstanceSpec instance;
  private final ProductClient products;
  private final PaymentGateway payments;
  /** Orders by idempotency key: placing the same order twice returns the first one (demo-sized, in memory). */
  private final Map<String, Order> placed = new ConcurrentHashMap<>();

  OrderController(InstanceSpec instance, ProductClient products, PaymentGateway payments) {
    this.instance = instance;
    this.products = products;
    this.payments = payments;
  }

  /** A price quote: one call to product. */
  @GetMapping("/orders/quote")
  Quote quote(@RequestParam("product") int productId, @RequestParam("qty") int qty) throws IOException {
    MeshResponse<Product> p = products.get(productId);
    Product product = p.bodyOrThrow();
    return new Quote(productId, qty, product.priceCents() * qty, p.header(ServedByFilter.HEADER));
  }

  /**
   * Places an order: reads the product, charges the payment service with the caller's idempotency key
   * (so the mesh may retry the charge, here and in the load generator's call to us).
   */
  @PostMapping("/orders")
  Order place(@RequestBody NewOrder order, @RequestHeader(MeshHeaders.IDEMPOTENCY_KEY) String key)
      throws IOException {
    Order done = placed.get(key);
    if (done != null) {
      return done;
    }
    MeshResponse<Product> p = products.get(order.productId());
    long total = p.bodyOrThrow().priceCents() * order.qty();
    PaymentGateway.Charge charge = payments.charge(key, total);
    done = new Order(key, order.productId(), order.qty(), total, charge.paymentId(),
        p.header(ServedByFilter.HEADER), charge.servedBy(), instance.name());
    Order first = placed.putIfAbsent(key, done);
    return first != null ? first : done;
  }

  /**
   * A downstream service failed after the mesh's retries: answer 502, and pass on {@code mesh-no-retry}
   * when the downstream answer carried it, so our caller does not retry what was already retried.
   */
  @ExceptionHandler(IOException.class)
  ResponseEntity<String> downstreamFailed(IOException e) {
    ResponseEntity.BodyBuilder b = ResponseEntity.status(HttpStatus.BAD_GATEWAY);
    if (e instanceof HttpStatusException s && s.headers().get(MeshHeaders.NO_RETRY) != null) {
      b.header(MeshHeaders.NO_RETRY, "1");
    }
    return b.body(e.getClass().getSimpleName() + ": " + e.getMessage());
  }
}
