package io.mesh4j.examples.shop.order;

import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.client.Body;
import io.mesh4j.http.client.Header;
import io.mesh4j.http.client.Idempotent;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.POST;
import java.io.IOException;

/**
 * The payment service over HTTP. {@code @Idempotent} plus the key: the mesh may retry (and hedge) the
 * charge, and payment charges once per key.
 */
@MeshClient("payment")
public interface PaymentClient {
  @POST("/payments")
  @Idempotent
  Result charge(@Body ChargeRequest request, @Header(MeshHeaders.IDEMPOTENCY_KEY) String key) throws IOException;

  record ChargeRequest(String idempotencyKey, long amountCents) {}

  record Result(String paymentId, String servedBy) {}
}
