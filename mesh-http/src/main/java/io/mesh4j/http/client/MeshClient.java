package io.mesh4j.http.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface as a client of one mesh service; {@link MeshClients#create} turns it into an
 * implementation whose calls go through the mesh client's request path (discovery, balancing,
 * deadlines, retries, tracing).
 *
 * <pre>{@code
 * @MeshClient("orders")
 * interface OrdersClient {
 *   @GET("/orders/{id}")
 *   Order get(@Path("id") long id) throws IOException;
 *
 *   @POST("/orders") @Idempotent
 *   CompletableFuture<Order> create(@Body NewOrder order, @Header("Idempotency-Key") String key);
 * }
 * }</pre>
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface MeshClient {
  /** The service: the host of every request, {@code http://<service>/...}, which the mesh resolves. */
  String value();

  /** A path prefix put before every method's path, e.g. {@code "/v1"}; none by default. */
  String path() default "";
}
