package io.mesh4j.controlplane.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's load generator: N long-polling watchers on one selector thread, each a keep-alive
 * HTTP/1.1 connection that sends {@code GET /v1/watch?...&since=R}, reads the answer, and asks again at
 * once with the revision it got. Deliberately minimal (it knows exactly what the control plane sends:
 * status line, headers with Content-Length, a JSON body starting {@code {"revision":N}) so that the load
 * generator, which shares this machine's two cores with the control plane, spends as little CPU per
 * watcher as possible; a general client (Jetty's HttpClient was tried first) spent three times the
 * server's CPU and measured itself more than the server.
 */
final class LongPollClient implements AutoCloseable {

  /** Told about every 200 answer: which watcher, the revision, and when (System.nanoTime()) it arrived. */
  interface Listener {
    void changed(int watcher, long revision, long receivedNanos);
  }

  private static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final InetSocketAddress server;
  private final String pathPrefix;
  private final String headers;
  private final Listener listener;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Conn> toOpen = new ConcurrentLinkedQueue<>();
  final AtomicInteger failures = new AtomicInteger();
  final AtomicInteger connected = new AtomicInteger();
  private volatile boolean running = true;

  private final class Conn {
    final int id;
    long since;
    SocketChannel ch;
    ByteBuffer out;
    ByteBuffer in = ByteBuffer.allocate(2048);

    Conn(int id, long since) {
      this.id = id;
      this.since = since;
    }
  }

  LongPollClient(InetSocketAddress server, String pathPrefix, String token, Listener listener) throws IOException {
    this.server = server;
    this.pathPrefix = pathPrefix;
    this.headers = " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort() + "\r\nAuthorization: Bearer "
        + token + "\r\n\r\n";
    this.listener = listener;
    this.selector = Selector.open();
    this.thread = new Thread(this::loop, "long-poll-client");
    thread.setDaemon(true);
    thread.start();
  }

  /** Adds a watcher that starts polling from {@code since}. */
  void open(int id, long since) {
    toOpen.add(new Conn(id, since));
    selector.wakeup();
  }

  private void loop() {
    // Bounded by close(): the benchmark closes the client when it is done, and the JVM exits after it.
    while (running) {
      try {
        selector.select(100);
        for (Conn c; (c = toOpen.poll()) != null; ) {
          connect(c);
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          Conn c = (Conn) k.attachment();
          try {
            if (k.isConnectable()) {
              c.ch.finishConnect();
              connected.incrementAndGet();
              send(c, k);
            } else {
              if (k.isWritable()) {
                flush(c, k);
              }
              if (k.isValid() && k.isReadable()) {
                read(c, k);
              }
            }
          } catch (IOException e) {
            failures.incrementAndGet();
            k.cancel();
            close(c);
            toOpen.add(new Conn(c.id, c.since));
          }
        }
      } catch (IOException e) {
        failures.incrementAndGet();
      }
    }
  }

  private void connect(Conn c) throws IOException {
    c.ch = SocketChannel.open();
    c.ch.configureBlocking(false);
    c.ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    c.ch.connect(server);
    c.ch.register(selector, SelectionKey.OP_CONNECT, c);
  }

  private void send(Conn c, SelectionKey k) throws IOException {
    c.out = ByteBuffer.wrap((pathPrefix + c.since + headers).getBytes(StandardCharsets.US_ASCII));
    flush(c, k);
  }

  private void flush(Conn c, SelectionKey k) throws IOException {
    c.ch.write(c.out);
    k.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
  }

  private void read(Conn c, SelectionKey k) throws IOException {
    int n = c.ch.read(c.in);
    if (n < 0) {
      throw new IOException("closed by the server");
    }
    // Parse as many complete answers as the buffer holds (normally exactly one).
    while (true) {
      byte[] a = c.in.array();
      int len = c.in.position();
      int headerEnd = indexOf(a, len, CRLFCRLF);
      if (headerEnd < 0) {
        if (len == a.length) {
          ByteBuffer bigger = ByteBuffer.allocate(a.length * 2);
          c.in.flip();
          bigger.put(c.in);
          c.in = bigger;
        }
        return;
      }
      String head = new String(a, 0, headerEnd, StandardCharsets.US_ASCII);
      int status = Integer.parseInt(head.substring(9, 12));
      int contentLength = 0;
      int cl = indexOfIgnoreCase(head, "\r\ncontent-length:");
      if (cl >= 0) {
        int end = head.indexOf('\r', cl + 2);
        contentLength = Integer.parseInt(head.substring(cl + 17, end < 0 ? head.length() : end).trim());
      }
      int total = headerEnd + 4 + contentLength;
      if (len < total) {
        if (total > a.length) {
          ByteBuffer bigger = ByteBuffer.allocate(total);
          c.in.flip();
          bigger.put(c.in);
          c.in = bigger;
        }
        return;
      }
      long now = System.nanoTime();
      if (status == 200) {
        long rev = 0;
        // Body: {"revision":N,...
        for (int i = headerEnd + 4 + 12; i < total && a[i] >= '0' && a[i] <= '9'; i++) {
          rev = rev * 10 + (a[i] - '0');
        }
        c.since = rev;
        listener.changed(c.id, rev, now);
      } else if (status != 304) {
        failures.incrementAndGet();
      }
      boolean close = indexOfIgnoreCase(head, "\r\nconnection: close") >= 0;
      // Drop this answer from the buffer.
      System.arraycopy(a, total, a, 0, len - total);
      c.in.position(len - total);
      if (close) {
        k.cancel();
        close(c);
        toOpen.add(new Conn(c.id, c.since));
        return;
      }
      send(c, k);
    }
  }

  private static int indexOf(byte[] a, int len, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= len; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (a[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static int indexOfIgnoreCase(String s, String lowerNeedle) {
    return s.toLowerCase(java.util.Locale.ROOT).indexOf(lowerNeedle);
  }

  private static void close(Conn c) {
    try {
      c.ch.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey k : selector.keys()) {
      close((Conn) k.attachment());
    }
    selector.close();
  }
}
