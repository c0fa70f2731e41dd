package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyIT {
  static final String P = "/v1/services/orders/policy";
  @TempDir Path dir;
  TestControlPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = TestControlPlane.start(dir);
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void putGetDelete() {
    assertThat(cp.client.get(P).status()).isEqualTo(404);
    Http.Reply put = cp.admin.put(P, "{ \"timeouts\" : { \"total\" : \"2s\" } }");
    assertThat(put.status()).isEqualTo(200);
    assertThat(put.json().get("revision").asLong()).isEqualTo(1);
    assertThat(put.header("ETag")).isEqualTo("\"1\"");

    Http.Reply get = cp.client.get(P);
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.header("ETag")).isEqualTo("\"1\"");
    assertThat(get.json().get("revision").asLong()).isEqualTo(1);
    // Stored as given (compact), not expanded to every default.
    assertThat(get.json().get("policy").toString()).isEqualTo("{\"timeouts\":{\"total\":\"2s\"}}");

    Http.Reply del = cp.admin.delete(P);
    assertThat(del.status()).isEqualTo(200);
    assertThat(del.json().get("revision").asLong()).isEqualTo(2);
    Http.Reply gone = cp.client.get(P);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.contentType()).isEqualTo("application/problem+json");
    assertThat(cp.admin.delete(P).status()).isEqualTo(404);
  }

  @Test
  void ifMatchGuardsEveryWrite() {
    assertThat(cp.admin.send(P, "PUT", "{}", "5").status()).isEqualTo(409);
    Http.Reply created = cp.admin.send(P, "PUT", "{}", "0");
    assertThat(created.status()).isEqualTo(200);
    long r1 = created.json().get("revision").asLong();
    Http.Reply again = cp.admin.send(P, "PUT", "{}", "0");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("currentRevision").asLong()).isEqualTo(r1);

    long r2 = cp.admin.send(P, "PUT", "{}", "\"" + r1 + "\"").json().get("revision").asLong();
    assertThat(cp.admin.send(P, "PUT", "{}", Long.toString(r1)).status()).isEqualTo(409);
    assertThat(cp.admin.send(P, "DELETE", null, Long.toString(r1)).status()).isEqualTo(409);
    assertThat(cp.admin.send(P, "DELETE", null, Long.toString(r2)).status()).isEqualTo(200);
    assertThat(cp.admin.send(P, "PUT", "{}", "abc").json().get("violations").findValuesAsText("path"))
        .containsExactly("header.If-Match");
  }

  @Test
  void concurrentWritersWithStaleRevisionsGet409() throws Exception {
    long rev = cp.admin.put(P, "{}").json().get("revision").asLong();
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      for (int round = 0; round < 5; round++) {
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
        final long expected = rev;
        for (int w = 0; w < writers; w++) {
          String body = "{\"retries\":{\"maxAttempts\":" + (w + 1) + "}}";
          replies.add(CompletableFuture.supplyAsync(() -> {
            try {
              go.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            return cp.admin.send(P, "PUT", body, Long.toString(expected));
          }, pool));
        }
        go.countDown();
        List<Http.Reply> done = replies.stream().map(f -> f.orTimeout(30, TimeUnit.SECONDS).join()).toList();
        List<Http.Reply> won = done.stream().filter(r -> r.status() == 200).toList();
        assertThat(won).hasSize(1);
        assertThat(done.stream().filter(r -> r.status() == 409)).hasSize(writers - 1);
        rev = won.get(0).json().get("revision").asLong();
        assertThat(rev).isEqualTo(expected + 1);
        for (Http.Reply r : done) {
          if (r.status() == 409) {
            assertThat(r.json().get("currentRevision").asLong()).isEqualTo(rev);
          }
        }
        // What the winner wrote is what is stored.
        assertThat(cp.client.get(P).json().get("revision").asLong()).isEqualTo(rev);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void validationErrorsNameEveryField() {
    long before = cp.admin.put(P, "{\"timeouts\":{\"total\":\"2s\"}}").json().get("revision").asLong();
    Http.Reply r = cp.admin.put(P, "{\"timeouts\":{\"total\":\"soon\",\"perAttempt\":5},"
        + "\"balancer\":{\"algorithm\":\"random\"},\"colour\":\"red\",\"outlier\":{\"consecutiveFailures\":0}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(r.json().get("title").asText()).isEqualTo("Invalid policy");
    assertThat(r.json().get("type").asText()).isEqualTo("about:blank");
    assertThat(r.json().get("status").asInt()).isEqualTo(400);
    assertThat(r.json().get("violations").findValuesAsText("path")).contains("timeouts.total", "timeouts.perAttempt",
        "balancer.algorithm", "colour", "outlier.consecutiveFailures");
    for (var v : r.json().get("violations")) {
      assertThat(v.get("problem").asText()).isNotBlank();
    }
    // Nothing was written.
    assertThat(cp.client.get(P).json().get("revision").asLong()).isEqualTo(before);
    assertThat(cp.server.store().revision()).isEqualTo(before);
  }

  @Test
  void malformedBodiesAre400NeverA500() {
    for (String body : List.of("{", "{\"timeouts\":}", "[1,2]", "\"text\"", "null", "{} trailing",
        "{\"timeouts\":{},\"timeouts\":{}}", "", "\u0000\u0001")) {
      Http.Reply r = cp.admin.send(P, "PUT", body, null);
      assertThat(r.status()).as(body).isEqualTo(400);
      assertThat(r.contentType()).as(body).isEqualTo("application/problem+json");
      assertThat(r.json().get("violations").get(0).get("path").asText()).as(body).isEqualTo("$");
    }
    assertThat(cp.server.store().revision()).isZero();
  }

  @Test
  void oversizedBodyIsRejected() {
    String big = "{\"routes\":[" + "{},".repeat(100_000) + "{}]}";
    Http.Reply r = cp.admin.put(P, big);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(cp.server.store().revision()).isZero();
  }

  /**
   * A client that writes its whole oversized body before reading (as java.net.http, OkHttp and curl
   * without Expect do) reads the 413. Before the server drained the body it answered and closed after
   * the headers, and the client's remaining writes were answered by a reset that destroyed the 413.
   * Fixed-length and chunked bodies of 12 MB: more than loopback socket buffers hold, so the client is
   * still writing when the server has answered (with a smaller body the race went either way).
   */
  @Test
  void aClientThatSendsItsWholeOversizedBodyReadsThe413() throws Exception {
    byte[] body = ("{\"routes\":[" + "{},".repeat(4_000_000) + "{}]}").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 3; i++) {
      for (boolean chunked : new boolean[] {false, true}) {
        String answer = rawPut(body, chunked);
        assertThat(answer).as("chunked=%s", chunked).startsWith("HTTP/1.1 413 ")
            .contains("application/problem+json").contains("expected: at most 262144 bytes");
      }
    }
    assertThat(cp.server.store().revision()).isZero();
  }

  private String rawPut(byte[] body, boolean chunked) throws Exception {
    URI uri = cp.server.uri();
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT " + P + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAuthorization: Bearer "
          + TestControlPlane.ADMIN + "\r\nContent-Type: application/json\r\n"
          + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n")
          + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (int off = 0; off < body.length; off += 65_536) {
        int n = Math.min(65_536, body.length - off);
        if (chunked) {
          out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.write(body, off, n);
        if (chunked) {
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
      }
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      // The 413 carries Connection: close, so the answer ends when the server closes.
      for (int n; (n = in.read(buf)) >= 0; ) {
        answer.write(buf, 0, n);
      }
      return answer.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void wrongContentTypeAndUnknownParameters() {
    Http.Reply r = cp.admin.send(cp.admin.builder(P).header("Content-Type", "text/plain")
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build());
    assertThat(r.status()).isEqualTo(415);
    assertThat(cp.admin.put(P + "?force=true", "{}").json().get("violations").findValuesAsText("path"))
        .containsExactly("query.force");
  }

  @Test
  void aBodyRefusedBeforeItIsReadClosesTheConnectionSoNoRequestIsSentOnAClosingOne() {
    // Before: the 415 came without Connection: close, the client reused the connection for its next
    // request, and that request sometimes found it closed ("header parser received no bytes").
    Http.Reply wrongType = cp.admin.send(cp.admin.builder(P).header("Content-Type", "text/plain")
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build());
    assertThat(wrongType.status()).isEqualTo(415);
    assertThat(wrongType.header("Connection")).isEqualTo("close");
    Http.Reply noToken = cp.http(null).put(P, "{}");
    assertThat(noToken.status()).isEqualTo(401);
    assertThat(noToken.header("Connection")).isEqualTo("close");
    Http.Reply read = cp.admin.put(P + "?force=true", "{}");
    assertThat(read.status()).as("refused after its body was read: the connection stays usable").isEqualTo(400);
    assertThat(read.header("Connection")).isNull();
  }

  @Test
  void badServiceNamesAndPaths() {
    for (String name : List.of("Orders", "-orders", "orders-", "ord_ers", "a".repeat(64), "%20")) {
      Http.Reply r = cp.admin.put("/v1/services/" + name + "/policy", "{}");
      assertThat(r.status()).as(name).isEqualTo(400);
      assertThat(r.json().get("violations").get(0).get("path").asText()).isEqualTo("service");
    }
    assertThat(cp.admin.put("/v1/services/" + "a".repeat(63) + "/policy", "{}").status()).isEqualTo(200);
    assertThat(cp.client.get("/v1/nothing").status()).isEqualTo(404);
    assertThat(cp.client.get("/v1/services/orders/policy/extra").status()).isEqualTo(404);
    Http.Reply m = cp.admin.send("/v1/services/orders/policy", "PATCH", "{}", null);
    assertThat(m.status()).isEqualTo(405);
    assertThat(m.header("Allow")).isEqualTo("GET, PUT, DELETE");
  }

  @Test
  void historyAndRollback() {
    long r1 = cp.admin.put(P, "{\"timeouts\":{\"total\":\"1s\"}}").json().get("revision").asLong();
    long r2 = cp.admin.put(P, "{\"timeouts\":{\"total\":\"2s\"}}").json().get("revision").asLong();
    long r3 = cp.admin.delete(P).json().get("revision").asLong();

    Http.Reply rb = cp.admin.post(P + "/rollback?revision=" + r1, null);
    assertThat(rb.status()).isEqualTo(200);
    long r4 = rb.json().get("revision").asLong();
    assertThat(rb.json().get("rolledBackTo").asLong()).isEqualTo(r1);
    assertThat(cp.client.get(P).json().at("/policy/timeouts/total").asText()).isEqualTo("1s");

    Http.Reply h = cp.client.get(P + "/history");
    assertThat(h.json().get("history").findValuesAsText("revision"))
        .containsExactly("" + r4, "" + r3, "" + r2, "" + r1);
    assertThat(h.json().get("history").findValuesAsText("action")).containsExactly("rollback", "delete", "put", "put");
    assertThat(h.json().at("/history/0/rolledBackTo").asLong()).isEqualTo(r1);
    assertThat(h.json().at("/history/1/policy").isNull()).isTrue();
    assertThat(h.json().at("/history/2/policy/timeouts/total").asText()).isEqualTo("2s");
    assertThat(cp.client.get(P + "/history?limit=2").json().get("history")).hasSize(2);

    assertThat(cp.admin.post(P + "/rollback?revision=" + r3, null).status()).isEqualTo(400);
    assertThat(cp.admin.post(P + "/rollback?revision=999", null).status()).isEqualTo(404);
    assertThat(cp.admin.post(P + "/rollback", null).json().get("violations").findValuesAsText("path"))
        .containsExactly("query.revision");
    assertThat(cp.admin.send(P + "/rollback?revision=" + r2, "POST", null, Long.toString(r1)).status())
        .isEqualTo(409);
    // Another service's revision is not this one's history.
    long other = cp.admin.put("/v1/services/payments/policy", "{}").json().get("revision").asLong();
    assertThat(cp.admin.post(P + "/rollback?revision=" + other, null).status()).isEqualTo(404);
  }

  @Test
  void listServices() {
    cp.admin.put(P, "{}");
    cp.admin.put("/v1/services/payments/policy", "{}");
    cp.admin.delete("/v1/services/payments/policy");
    Http.Reply r = cp.client.get("/v1/services");
    assertThat(r.json().get("services").findValuesAsText("name")).containsExactly("orders");
    assertThat(r.json().get("revision").asLong()).isEqualTo(3);
    assertThat(cp.client.get("/v1/health").json().get("status").asText()).isEqualTo("ok");
  }
}
