package io.mesh4j.examples.shop.order;

import java.io.IOException;

/**
 * The order service's one seam to the payment service, so the transport (HTTP or gRPC) is chosen in
 * one place ({@link OrderApplication}) and the controller does not care.
 */
public interface PaymentGateway {
  /** Charges once per idempotency key: a retried charge with the same key returns the first result. */
  Charge charge(String idempotencyKey, long amountCents) throws IOException;

  /** The payment's id and the payment instance that served the (last) attempt. */
  record Charge(String paymentId, String servedBy) {}
}
