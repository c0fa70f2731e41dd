package io.mesh4j.controlplane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.discovery.EndpointSet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/** The watch loop against a scripted transport (an injected {@link HttpClient}), interleavings forced. */
class ControlPlaneClientWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * A subscription made while the loop has built its next (since=R, long) watch but not yet published it
   * as in flight must not wait for that watch to be held for the whole wait: the gate below parks the loop
   * thread inside {@code sendAsync} — after the request is built, before {@code inFlight} is set — while the
   * test subscribes a new service.
   */
  @Test
  void aServiceSubscribedWhileTheNextWatchIsBeingSentGetsItsEndpointsWellBeforeTheWait() throws Exception {
    ScriptedControlPlane cp = new ScriptedControlPlane();
    try (ControlPlaneClient client = ControlPlaneClient.builder(URI.create("http://control-plane"))
        .httpClient(cp).waitTime(WAIT).build()) {
      List<EndpointSet> orders = new CopyOnWriteArrayList<>();
      client.discovery().subscribe("orders", orders::add);
      await().atMost(Duration.ofSeconds(5)).until(() -> !orders.isEmpty()); // the first round

      // The loop is now sending its first long poll (since=1, 30 s), parked before publishing it.
      assertThat(cp.inWindow.await(5, TimeUnit.SECONDS)).as("the loop reached the gate").isTrue();
      assertThat(cp.requests.get(cp.requests.size() - 1)).contains("since=1").contains("wait=30000ms")
          .doesNotContain("service=payment");
      List<EndpointSet> payment = new CopyOnWriteArrayList<>();
      client.discovery().subscribe("payment", payment::add);
      cp.release.countDown();

      await().atMost(Duration.ofSeconds(5)).until(() -> !payment.isEmpty());
      assertThat(payment.get(0).endpoints()).singleElement()
          .satisfies(e -> assertThat(e.host()).isEqualTo("payment.internal"));
      assertThat(cp.requests).as("a catch-up for the new service alone, after the parked one")
          .anySatisfy(r -> assertThat(r).startsWith("since=0").contains("service=payment")
              .doesNotContain("service=orders"));
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(cp.requests.get(cp.requests.size() - 1))
          .as("then the long-poll, with both").startsWith("since=1").contains("service=orders")
          .contains("service=payment"));
    }
  }

  /**
   * Answers since=0 at once with every asked service (revision 1); holds any other watch for its wait,
   * then answers 304. The first held watch parks the calling thread in {@code sendAsync} until released.
   */
  private static final class ScriptedControlPlane extends HttpClient {
    private static final Pattern SINCE = Pattern.compile("^since=(\\d+)");
    private static final Pattern WAIT_MS = Pattern.compile("[&?]wait=(\\d+)ms");
    private static final Pattern SERVICE = Pattern.compile("[&?]service=([a-z0-9-]+)");

    final List<String> requests = new CopyOnWriteArrayList<>();
    final CountDownLatch inWindow = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private boolean gated;

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
        HttpResponse.BodyHandler<T> handler) {
      String uri = describe(request);
      requests.add(uri);
      Matcher since = SINCE.matcher(uri);
      if (since.find() && Long.parseLong(since.group(1)) == 0) {
        StringBuilder body = new StringBuilder("{\"revision\":1,\"services\":{");
        Matcher service = SERVICE.matcher(uri);
        String sep = "";
        while (service.find()) {
          body.append(sep).append('"').append(service.group(1)).append("\":{\"policy\":null,\"policyRevision\":1,")
              .append("\"endpointsRevision\":1,\"endpoints\":[{\"host\":\"").append(service.group(1))
              .append(".internal\",\"port\":8080}]}");
          sep = ",";
        }
        body.append("}}");
        return CompletableFuture.completedFuture((HttpResponse<T>) new Reply(request, 200, body.toString()));
      }
      if (!gated) { // only the loop thread calls sendAsync
        gated = true;
        inWindow.countDown();
        try {
          if (!release.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Matcher wait = WAIT_MS.matcher(uri);
      long waitMs = wait.find() ? Long.parseLong(wait.group(1)) : 0;
      return new CompletableFuture<HttpResponse<T>>()
          .completeOnTimeout((HttpResponse<T>) new Reply(request, 304, ""), waitMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> push) {
      return sendAsync(request, handler);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
      CompletableFuture<HttpResponse<T>> f = sendAsync(request, handler);
      if (!f.isDone()) {
        throw new IOException("not scripted: a blocking " + describe(request));
      }
      return f.join();
    }

    /** A watch request as {@code since=R&wait=Wms&service=a&service=b}, read from its JSON body. */
    private static String describe(HttpRequest request) {
      if (!request.method().equals("POST") || !request.uri().getPath().equals("/v1/watch")) {
        return request.method() + " " + request.uri();
      }
      try {
        JsonNode body = new ObjectMapper().readTree(bodyOf(request));
        StringBuilder d = new StringBuilder("since=").append(body.path("since").asLong())
            .append("&wait=").append(body.path("wait").asText());
        body.path("services").forEach(n -> d.append("&service=").append(n.asText()));
        return d.toString();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static byte[] bodyOf(HttpRequest request) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      CountDownLatch done = new CountDownLatch(1);
      request.bodyPublisher().orElseThrow().subscribe(new Flow.Subscriber<ByteBuffer>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ByteBuffer item) {
          byte[] b = new byte[item.remaining()];
          item.get(b);
          out.writeBytes(b);
        }

        @Override
        public void onError(Throwable t) {
          done.countDown();
        }

        @Override
        public void onComplete() {
          done.countDown();
        }
      });
      try {
        done.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return out.toByteArray();
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return Optional.empty();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return Optional.empty();
    }

    @Override
    public Redirect followRedirects() {
      return Redirect.NEVER;
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return Optional.empty();
    }

    @Override
    public SSLContext sslContext() {
      return null;
    }

    @Override
    public SSLParameters sslParameters() {
      return null;
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return Optional.empty();
    }

    @Override
    public Version version() {
      return Version.HTTP_1_1;
    }

    @Override
    public Optional<Executor> executor() {
      return Optional.empty();
    }
  }

  private record Reply(HttpRequest request, int statusCode, String body) implements HttpResponse<String> {
    @Override
    public Optional<HttpResponse<String>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return HttpHeaders.of(Map.of(), (k, v) -> true);
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return request.uri();
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
