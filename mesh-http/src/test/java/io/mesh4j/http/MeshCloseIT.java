package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.Mesh;
import io.mesh4j.MeshClosedException;
import io.mesh4j.discovery.StaticDiscovery;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** After {@code mesh.close()}: every call to a mesh service fails at once with a typed IOException. */
class MeshCloseIT {

  @Test
  void afterCloseEveryCallFailsFastWithATypedIoExceptionSyncAndAsync() throws Exception {
    try (TestBackend orders = TestBackend.ok("orders"); TestBackend payment = TestBackend.ok("payment")) {
      Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("orders", List.of(orders.endpoint()))
          .set("payment", List.of(payment.endpoint()))).eventLog(e -> { }).build();
      OkHttpClient client = MeshOkHttp.client(mesh, new OkHttpClient());
      try (Response r = client.newCall(new Request.Builder().url("http://orders/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
      mesh.close();

      // A service called before (its runtime is known) and one never called: both refused.
      for (String service : List.of("orders", "payment")) {
        Request request = new Request.Builder().url("http://" + service + "/x").build();
        assertThatThrownBy(() -> client.newCall(request).execute())
            .isInstanceOf(MeshClosedException.class)
            .hasMessage("service '" + service + "': the mesh was closed (Mesh.close()); nothing was sent");

        CompletableFuture<IOException> failed = new CompletableFuture<>();
        client.newCall(request).enqueue(new Callback() {
          @Override
          public void onFailure(Call call, IOException e) {
            failed.complete(e);
          }

          @Override
          public void onResponse(Call call, Response response) {
            response.close();
            failed.completeExceptionally(new AssertionError("answered after close"));
          }
        });
        assertThat(failed.get(10, TimeUnit.SECONDS)).isInstanceOf(MeshClosedException.class);
      }
      assertThat(orders.hits.get()).isEqualTo(1);
      assertThat(payment.hits.get()).isZero();
    }
  }
}
