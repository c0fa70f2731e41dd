package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.DeadlineExceededException;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deadline covers reading the response body: a server that sends its headers at once and then one
 * chunk every 100 ms (WireMock's chunked dribble; OkHttp's per-read timeout never trips) is cut
 * off at the deadline, and the read says so. Before, the body was read for the whole 40 s.
 */
class BodyDeadlineIT {
  static final String BODY = "x".repeat(400);
  WireMockServer server;
  Mesh mesh;
  OkHttpClient client;

  @BeforeEach
  void start() {
    server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    server.start();
    // 400 chunks over 40 s: the headers come with the first chunk, the body would take 40 s.
    server.stubFor(get(urlEqualTo("/dribble")).willReturn(aResponse().withStatus(200).withBody(BODY)
        .withChunkedDribbleDelay(400, 40_000)));
    server.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200).withBody("y".repeat(1 << 20))));
    List<Endpoint> at = List.of(Endpoint.of("127.0.0.1", server.port()));
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("slowbody", ServicePolicy.builder().totalTimeout(Duration.ofSeconds(2)).build());
    // A whole megabyte in time even on a loaded machine: the deadline is not what "big" tests.
    policies.put("bigbody", ServicePolicy.builder().totalTimeout(Duration.ofSeconds(30)).build());
    mesh = Mesh.builder().discovery(StaticDiscovery.create().set("slowbody", at).set("bigbody", at))
        .policies(policies).build();
    client = MeshOkHttp.client(mesh, new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build());
    // A cold server and client can take most of a second for the first answer's headers: warm them.
    try (Response r = client.newCall(new Request.Builder().url("http://bigbody/big").build()).execute()) {
      assertThat(r.body().string()).hasSize(1 << 20);
    } catch (IOException e) {
      throw new AssertionError("warm-up call failed", e);
    }
  }

  @AfterEach
  void stop() {
    mesh.close();
    server.stop();
  }

  @Test
  void aBodyDribbledPastTheDeadlineFailsAtTheDeadlineNamingIt() throws Exception {
    try (Response r = client.newCall(new Request.Builder().url("http://slowbody/dribble").build()).execute()) {
      assertThat(r.code()).isEqualTo(200); // the headers came in time
      assertThatThrownBy(() -> r.body().string())
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("slowbody")
          .hasMessageContaining("deadline of 2000 ms (policy timeouts.total) passed while reading the response body");
    }
  }

  @Test
  void anAsyncCallsBodyIsCutOffTheSameWay() throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    client.newCall(new Request.Builder().url("http://slowbody/dribble").build()).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        failure.complete(new AssertionError("the headers should have come in time", e));
      }

      @Override
      public void onResponse(Call call, Response response) {
        try (response) {
          response.body().string();
          failure.complete(new AssertionError("the whole body was read"));
        } catch (IOException e) {
          failure.complete(e);
        }
      }
    });
    assertThat(failure.get(30, TimeUnit.SECONDS)).isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("while reading the response body");
  }

  @Test
  void aBodyReadInTimeIsWholeAndTheConnectionIsReused() throws Exception {
    for (int i = 0; i < 3; i++) { // and the warm-up before
      try (Response r = client.newCall(new Request.Builder().url("http://bigbody/big").build()).execute()) {
        assertThat(r.body().string()).hasSize(1 << 20);
      }
    }
    // Read to its end, each body gave its connection back: one connection carried all four calls.
    assertThat(client.connectionPool().connectionCount()).isEqualTo(1);
  }

  @Test
  void aBodyClosedUnreadEndsTheCallQuietly() throws Exception {
    try (Response r = client.newCall(new Request.Builder().url("http://slowbody/dribble").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    // The next call is not disturbed by the first one's deadline.
    try (Response r = client.newCall(new Request.Builder().url("http://bigbody/big").build()).execute()) {
      assertThat(r.body().string()).hasSize(1 << 20);
    }
  }
}
