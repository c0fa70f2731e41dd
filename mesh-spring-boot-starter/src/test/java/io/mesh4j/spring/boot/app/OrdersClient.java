package io.mesh4j.spring.boot.app;

import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.Path;
import java.io.IOException;

@MeshClient("orders")
public interface OrdersClient {
  @GET("/orders/{id}")
  String get(@Path("id") long id) throws IOException;
}
