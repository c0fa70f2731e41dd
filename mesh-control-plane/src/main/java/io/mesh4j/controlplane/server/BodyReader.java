package io.mesh4j.controlplane.server;

import java.io.ByteArrayOutputStream;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body without blocking a thread: keeps it while it is within the limit, and past the
 * limit reads on and throws the rest away (up to a budget) before the caller answers 413.
 *
 * <p>Why read what will be refused: answering and closing while the client is still sending makes the
 * kernel reset the connection (unread data in the receive buffer), and a reset destroys the answer the
 * client has not read yet — a real client then sees "connection reset" or "broken pipe" instead of the
 * 413 that says what it did wrong. Draining first lets the client finish writing and read the answer.
 * The drain is bounded by {@code budget}; past it the connection is closed anyway, as a server must
 * against a client that sends without end.
 */
final class BodyReader {
  /** How a read ended: the body ({@code tooLarge} false), or too large; or {@code failure}. */
  interface Done {
    void done(byte[] body, boolean tooLarge, Throwable failure);
  }

  private final Content.Source source;
  private final int max;
  private final long budget;
  private final Done done;
  private final ByteArrayOutputStream kept;
  private long seen;

  private BodyReader(Content.Source source, int max, long budget, Done done) {
    this.source = source;
    this.max = max;
    this.budget = budget;
    this.done = done;
    this.kept = new ByteArrayOutputStream(Math.min(max, 8192));
  }

  /** Reads the body, keeping at most {@code max} bytes and reading at most {@code budget}; calls done once. */
  static void read(Content.Source source, int max, long budget, Done done) {
    new BodyReader(source, max, budget, done).step();
  }

  private void step() {
    // One chunk at a time; when none is ready, demand() calls step again later and this thread returns.
    while (true) {
      Content.Chunk chunk = source.read();
      if (chunk == null) {
        source.demand(this::step);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        done.done(null, false, chunk.getFailure());
        return;
      }
      int n = chunk.remaining();
      seen += n;
      if (seen <= max && n > 0) {
        byte[] bytes = new byte[n];
        chunk.getByteBuffer().get(bytes);
        kept.write(bytes, 0, n);
      }
      boolean last = chunk.isLast();
      chunk.release();
      if (last || seen > budget) {
        boolean tooLarge = seen > max;
        done.done(tooLarge ? null : kept.toByteArray(), tooLarge, null);
        return;
      }
    }
  }
}
