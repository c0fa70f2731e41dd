package io.mesh4j.examples.shop;

import io.mesh4j.examples.shop.order.NewOrder;
import io.mesh4j.examples.shop.order.Order;
import io.mesh4j.examples.shop.order.Quote;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.http.client.Body;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.Header;
import io.mesh4j.http.client.Idempotent;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshResponse;
import io.mesh4j.http.client.POST;
import io.mesh4j.http.client.Query;
import java.util.concurrent.CompletableFuture;

/**
 * The order service as the load generator calls it: asynchronously, so a fixed rate can be kept with a
 * bounded number of calls in flight. Both calls are safe to retry: a GET, and a POST with an
 * idempotency key.
 */
@MeshClient("order")
interface OrderClient {
  @GET("/orders/quote")
  CompletableFuture<MeshResponse<Quote>> quote(@Query("product") int productId, @Query("qty") int qty);

  @POST("/orders")
  @Idempotent
  CompletableFuture<MeshResponse<Order>> place(@Body NewOrder order, @Header(MeshHeaders.IDEMPOTENCY_KEY) String key);
}
