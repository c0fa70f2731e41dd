package io.mesh4j.http.client;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The client interface the integration tests call: every verb, parameter kind and return type. */
@MeshClient("orders")
interface OrdersClient {
  record Order(long id, String item, int quantity) {}

  record NewOrder(String item, int quantity) {}

  @GET("/orders/{id}")
  Order get(@Path("id") long id) throws IOException;

  @GET("/orders/{id}")
  Order getUnchecked(@Path("id") long id);

  @GET("/orders")
  CompletableFuture<List<Order>> list();

  @GET("/orders/{id}")
  CompletableFuture<MeshResponse<Order>> getAsync(@Path("id") long id);

  @POST("/orders")
  Order create(@Body NewOrder order) throws IOException;

  @PUT("/orders/{id}")
  MeshResponse<Order> put(@Path("id") long id, @Body Order order) throws IOException;

  @PATCH("/orders/{id}")
  Order patch(@Path("id") long id, @Body Map<String, Object> changes) throws IOException;

  @DELETE("/orders/{id}")
  void delete(@Path("id") long id) throws IOException;

  @HEAD("/orders/{id}")
  MeshResponse<Void> head(@Path("id") long id) throws IOException;

  @GET("/files/{dir}/{name}.txt")
  String file(@Path("dir") String dir, @Path("name") String name) throws IOException;

  @GET("/search")
  String search(@Query("q") String q, @Query("tag") List<String> tags, @Query("n") Integer n,
      @Query Map<String, ?> more) throws IOException;

  @GET("/echo")
  byte[] headers(@Header("X-Tenant") String tenant, @Header("X-Many") String[] many,
      @Header Map<String, String> more) throws IOException;

  @GET("/slow")
  @Timeout("150ms")
  String slow() throws IOException;

  @GET("/slow")
  @Timeout("150ms")
  CompletableFuture<String> slowAsync();

  @POST("/charges")
  @Idempotent
  String charge(@Body String body) throws IOException;

  @POST("/charges")
  String chargeOnce(@Body String body) throws IOException;

  @GET("/policy")
  @Retry(maxAttempts = 5, retryOn = {500, 503})
  @Timeout("2s")
  String retried() throws IOException;

  @GET("/policy")
  @Hedge(delay = "p95", floor = "20ms", maxAttempts = 3)
  String hedged() throws IOException;

  @GET("/policy")
  String plain() throws IOException;

  /** A default method runs as written, on the proxy. */
  default Order getOrNull(long id) throws IOException {
    try {
      return get(id);
    } catch (HttpStatusException e) {
      if (e.status() == 404) {
        return null;
      }
      throw e;
    }
  }
}
