package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.BalancerAlgorithm;
import io.mesh4j.policy.CircuitBreakerPolicy;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Broken answers from a real server (WireMock's faults, and a raw socket server for what WireMock cannot
 * send): each is classified, retried only when that is safe, never retried without bound, and never
 * hangs. A failure before the response headers is the attempt's: an idempotent call is retried on the
 * other endpoint, a POST is not. A failure in the body, after the headers were handed to the caller, is
 * the caller's to see: it surfaces from the read as an IOException, at once.
 */
class MalformedResponseIT {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private WireMockServer broken(Fault fault) {
    WireMockServer w = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    w.start();
    closeables.add(w::stop);
    w.stubFor(any(anyUrl()).willReturn(aResponse().withFault(fault)));
    return w;
  }

  /** Round robin from a fixed start, breaker off (so that every call tries): the first attempt goes to the first endpoint. */
  private OkHttpClient client(Endpoint... endpoints) {
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("svc", List.of(endpoints)))
        .defaultPolicy(ServicePolicy.builder().balancer(BalancerAlgorithm.ROUND_ROBIN)
            .circuitBreaker(CircuitBreakerPolicy.builder().enabled(false).build())
            .totalTimeout(Duration.ofSeconds(10)).build())
        .random(RandomSource.seeded(3)).eventLog(m -> { }).build();
    closeables.add(mesh);
    return MeshOkHttp.client(mesh, new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build());
  }

  private TestBackend good() throws IOException {
    TestBackend b = TestBackend.ok("good");
    closeables.add(b);
    return b;
  }

  private static Request get() {
    return new Request.Builder().url("http://svc/x").build();
  }

  private static Request post() {
    return new Request.Builder().url("http://svc/x").post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
  }

  /** Faults that break the answer before its headers are complete. */
  enum HeaderFault { EMPTY_RESPONSE, RANDOM_DATA_THEN_CLOSE, CONNECTION_RESET_BY_PEER }

  @ParameterizedTest
  @EnumSource(HeaderFault.class)
  void aGetWhoseAnswerBreaksBeforeItsHeadersIsRetriedElsewhere(HeaderFault f) throws Exception {
    WireMockServer broken = broken(Fault.valueOf(f.name()));
    TestBackend good = good();
    OkHttpClient client = client(Endpoint.of("127.0.0.1", broken.port()), good.endpoint());
    for (int i = 0; i < 4; i++) {
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    // Round robin: each call's first pick is the broken endpoint, its retry (avoiding it) the good one.
    assertThat(broken.getAllServeEvents()).hasSize(4);
    assertThat(good.hits).hasValue(4);
    assertThat(good.lastRequest()).containsEntry(MeshHeaders.ATTEMPT, "2");
  }

  @ParameterizedTest
  @EnumSource(HeaderFault.class)
  void aPostWhoseAnswerBreaksIsNotRetriedAndFailsNamingWhatHappened(HeaderFault f) throws Exception {
    WireMockServer broken = broken(Fault.valueOf(f.name()));
    TestBackend good = good();
    OkHttpClient client = client(Endpoint.of("127.0.0.1", broken.port()), good.endpoint());
    assertThatThrownBy(() -> client.newCall(post()).execute().close()).isInstanceOf(IOException.class)
        .satisfies(e -> assertThat(String.valueOf(e.getMessage())).isNotEqualTo("null").isNotBlank());
    assertThat(good.hits).hasValue(0); // it reached a server that may have acted on it
    assertThat(broken.getAllServeEvents()).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(HeaderFault.class)
  void aServerThatAlwaysBreaksGetsMaxAttemptsAndNoMore(HeaderFault f) throws Exception {
    WireMockServer broken = broken(Fault.valueOf(f.name()));
    OkHttpClient client = client(Endpoint.of("127.0.0.1", broken.port()));
    assertThatThrownBy(() -> client.newCall(get()).execute().close()).isInstanceOf(IOException.class);
    assertThat(broken.getAllServeEvents()).hasSize(3); // RetryPolicy.DEFAULT: 3 attempts in all
  }

  @Test
  void aMalformedChunkSurfacesFromTheReadAtOnce() throws Exception {
    WireMockServer broken = broken(Fault.MALFORMED_RESPONSE_CHUNK);
    OkHttpClient client = client(Endpoint.of("127.0.0.1", broken.port()));
    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThatThrownBy(() -> r.body().string()).isInstanceOf(IOException.class);
    }
    assertThat(broken.getAllServeEvents()).hasSize(1);
  }

  @Test
  void aTruncatedBodyAndOversizedHeadersAreErrorsNotHangs() throws Exception {
    AtomicInteger served = new AtomicInteger();
    // Content-Length 100, 10 bytes, close: a truncated body.
    RawServer truncated = raw(served, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    OkHttpClient client = client(Endpoint.of("127.0.0.1", truncated.port()));
    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThatThrownBy(() -> r.body().string()).isInstanceOf(IOException.class);
    }

    // A 1 MB header line: OkHttp refuses headers past its limit; an idempotent call is retried, boundedly.
    AtomicInteger servedHuge = new AtomicInteger();
    RawServer huge = raw(servedHuge, "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(1 << 20) + "\r\nContent-Length: 0\r\n\r\n");
    OkHttpClient hugeClient = client(Endpoint.of("127.0.0.1", huge.port()));
    assertThatThrownBy(() -> hugeClient.newCall(get()).execute().close()).isInstanceOf(IOException.class);
    assertThat(servedHuge.get()).isBetween(1, 3);
  }

  private RawServer raw(AtomicInteger served, String answer) throws IOException {
    RawServer s = new RawServer(served, answer.getBytes(StandardCharsets.ISO_8859_1));
    closeables.add(s);
    return s;
  }

  /** Answers every connection with the same bytes, then closes it; bounded to 100 connections. */
  private static final class RawServer implements AutoCloseable {
    private final ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    private final Thread thread;

    RawServer(AtomicInteger served, byte[] answer) throws IOException {
      thread = new Thread(() -> {
        for (int i = 0; i < 100 && !socket.isClosed(); i++) {
          try (Socket s = socket.accept()) {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            int matched = 0;
            while (matched < 4) { // read the request head
              int b = in.read();
              if (b < 0) {
                break;
              }
              matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            served.incrementAndGet();
            OutputStream out = s.getOutputStream();
            out.write(answer);
            out.flush();
            s.shutdownOutput();
            while (in.read(buf) >= 0) { // until the client closes: no reset
              // drain
            }
          } catch (IOException e) {
            // closed by the test, or the client went away
          }
        }
      }, "raw-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws Exception {
      socket.close();
      thread.join(5_000);
    }
  }
}
