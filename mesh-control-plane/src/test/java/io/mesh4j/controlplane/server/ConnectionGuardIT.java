package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controlplane.TestControlPlane;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-authentication denial of service by idle connections (issue 13): an outside attack run held 20,000
 * TCP connections that never sent a byte; the control plane ran out of descriptors and health and writes
 * timed out. A bounded flood on loopback, from a second loopback address (127.0.0.2), shows the cap per
 * address and the first-request deadline, while the operator (127.0.0.1) keeps being answered.
 */
class ConnectionGuardIT {
  @TempDir Path dir;
  TestControlPlane cp;
  final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void idleConnectionsFromOneAddressAreCappedAndOtherAddressesKeepBeingAnswered() throws Exception {
    // Before: every connection stayed open for the six-minute idle timeout, whatever its count.
    cp = TestControlPlane.start(dir, b -> b.maxConnectionsPerAddress(50).firstRequestTimeout(Duration.ZERO));
    List<Socket> flood = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      flood.add(connectFrom("127.0.0.2"));
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(metric("over_address_cap"))
        .isEqualTo(250));
    // Which were kept: each of them still serves a request; the others were closed when accepted.
    int served = 0;
    int closed = 0;
    for (Socket s : flood) {
      int status = statusOrClosed(s, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
      if (status == 200) {
        served++;
      } else if (status < 0) {
        closed++;
      }
    }
    assertThat(served).as("connections kept of 300").isEqualTo(50);
    assertThat(closed).as("connections closed of 300").isEqualTo(250);

    // Another address is answered while the cap holds: health, and an operator's write.
    assertThat(cp.client.get("/v1/health").status()).isEqualTo(200);
    assertThat(cp.admin.put("/v1/services/orders/policy", "{}").status()).isEqualTo(200);

    // The capped address's idle connections go: its count goes back down, and it is served again.
    for (Socket s : flood) {
      s.close();
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      try (Socket s = connectFrom("127.0.0.2")) {
        assertThat(status(s, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).isEqualTo(200);
      }
    });
    assertThat(metric("over_address_cap")).isEqualTo(250);
  }

  @Test
  void aConnectionWithoutACompleteRequestInTimeIsClosedAndAHeldWatchIsNot() throws Exception {
    // Before: a connection that sent nothing, or half a request, was kept for the idle timeout (six minutes).
    cp = TestControlPlane.start(dir, b -> b.firstRequestTimeout(Duration.ofMillis(300)));
    Socket watch = connectFrom("127.0.0.1");
    watch.getOutputStream().write(("GET /v1/watch?service=orders&since=0&wait=60s HTTP/1.1\r\nHost: x\r\n"
        + "Authorization: Bearer " + TestControlPlane.CLIENT + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    watch.getOutputStream().flush();
    await().atMost(Duration.ofSeconds(30)).until(() -> cp.server.hub().held() == 1);
    Socket silent = connectFrom("127.0.0.1");
    Socket halfRequest = connectFrom("127.0.0.1");
    halfRequest.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
    halfRequest.getOutputStream().flush();

    assertThat(closedByServer(silent)).isTrue();
    assertThat(closedByServer(halfRequest)).isTrue();
    assertThat(metric("no_request_in_time")).isEqualTo(2);

    // The watch was opened before them, so its deadline passed first: it is still held, and answered.
    assertThat(cp.admin.put("/v1/services/orders/policy", "{}").status()).isEqualTo(200);
    assertThat(readStatus(watch)).isEqualTo(200);
    // And a connection that sends its request in time is served as before.
    try (Socket s = connectFrom("127.0.0.1")) {
      assertThat(status(s, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).isEqualTo(200);
    }
  }

  private Socket connectFrom(String localAddress) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(localAddress, 0));
    s.connect(new InetSocketAddress("127.0.0.1", cp.server.port()), 10_000);
    sockets.add(s);
    return s;
  }

  /** Reads until the server closes the connection (true); false when nothing comes in 30 s. */
  private static boolean closedByServer(Socket s) throws IOException {
    s.setSoTimeout(30_000);
    try {
      InputStream in = s.getInputStream();
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** The status of a request on this connection, or -1 when the server had closed it. */
  private static int statusOrClosed(Socket s, String request) {
    try {
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      s.setSoTimeout(30_000);
      StringBuilder line = new StringBuilder();
      InputStream in = s.getInputStream();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        line.append((char) c);
      }
      String[] parts = line.toString().split(" ");
      return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    } catch (SocketTimeoutException e) {
      return 0; // neither answered nor closed
    } catch (IOException e) {
      return -1; // reset or broken pipe: closed by the server
    }
  }

  private static int status(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return readStatus(s);
  }

  private static int readStatus(Socket s) throws IOException {
    s.setSoTimeout(30_000);
    StringBuilder line = new StringBuilder();
    InputStream in = s.getInputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      line.append((char) c);
    }
    String[] parts = line.toString().split(" ");
    assertThat(parts.length).as("status line %s", line).isGreaterThan(1);
    return Integer.parseInt(parts[1]);
  }

  private long metric(String reason) {
    String body = cp.client.get("/metrics").raw().body();
    String prefix = "mesh_cp_connections_closed_total{reason=\"" + reason + "\"} ";
    return body.lines().filter(l -> l.startsWith(prefix)).mapToLong(l -> Long.parseLong(l.substring(
        prefix.length()).trim())).findFirst().orElse(-1);
  }
}
