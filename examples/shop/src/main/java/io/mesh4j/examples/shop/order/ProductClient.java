package io.mesh4j.examples.shop.order;

import io.mesh4j.examples.shop.product.Product;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshResponse;
import io.mesh4j.http.client.Path;
import java.io.IOException;

/**
 * The product service as the order service sees it. {@code @EnableMeshClients} on
 * {@link OrderApplication} turns it into a bean; every call goes through the mesh (discovery from the
 * control plane, P2C balancing, routes, retries, hedging, breaker). {@link MeshResponse} keeps the
 * headers, so the order service can say which product instance answered.
 */
@MeshClient("product")
public interface ProductClient {
  @GET("/products/{id}")
  MeshResponse<Product> get(@Path("id") int id) throws IOException;
}
