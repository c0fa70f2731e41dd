package io.mesh4j.examples.shop.order;

import java.io.IOException;

/** Payment over HTTP, through the annotated {@link PaymentClient}. */
final class HttpPaymentGateway implements PaymentGateway {
  private final PaymentClient client;

  HttpPaymentGateway(PaymentClient client) {
    this.client = client;
  }

  @Override
  public Charge charge(String idempotencyKey, long amountCents) throws IOException {
    PaymentClient.Result r = client.charge(new PaymentClient.ChargeRequest(idempotencyKey, amountCents), idempotencyKey);
    return new Charge(r.paymentId(), r.servedBy());
  }
}
