package io.mesh4j.controlplane.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps connections that send nothing from exhausting the control plane before any token is checked.
 *
 * <p>An outside attack run held 20,000 idle TCP connections: the idle timeout (sized for long-polls, six
 * minutes) kept them open, the process ran out of file descriptors and health and writes timed out. Two
 * limits close that:
 *
 * <ul>
 *   <li><b>First request deadline:</b> a connection must have sent its first request line and all its
 *       headers within {@code firstRequestTimeout} of being accepted (TLS handshake included), or it is
 *       closed. A held watch has sent its request, so it is not affected; neither are later requests on a
 *       kept-alive connection.
 *   <li><b>Connections per client address:</b> past {@code maxPerAddress} open connections from one
 *       address, a new one is closed as soon as it is accepted, so one address cannot take every descriptor
 *       and other clients (health checks, operators' writes) keep being answered.
 * </ul>
 *
 * <p>Shared state: a count per remote address in a {@link ConcurrentHashMap}, changed atomically per key
 * ({@code merge} / {@code computeIfPresent}, which lock one bin, not the map) on open and close only, never
 * per request; the entry goes when its count returns to 0, so rotating addresses leave nothing behind.
 */
final class ConnectionGuard implements Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int maxPerAddress;
  private final long firstRequestMillis;
  private final Scheduler scheduler;
  private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
  private final LongAdder refusedOverCap = new LongAdder();
  private final LongAdder closedWithoutRequest = new LongAdder();
  private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private final AtomicLong refusedSinceWarn = new AtomicLong();

  /**
   * @param maxPerAddress      open connections allowed from one address; 0 for no cap
   * @param firstRequestTimeout how long a new connection has to send its first request's headers; zero for
   *                           no deadline
   * @param scheduler          runs the deadline checks
   */
  ConnectionGuard(int maxPerAddress, Duration firstRequestTimeout, Scheduler scheduler) {
    this.maxPerAddress = maxPerAddress;
    this.firstRequestMillis = firstRequestTimeout.toMillis();
    this.scheduler = scheduler;
  }

  @Override
  public void onOpened(Connection connection) {
    EndPoint endPoint = connection.getEndPoint();
    if (endPoint instanceof SocketChannelEndPoint network && maxPerAddress > 0) {
      // The network connection (plain HTTP, or TLS below HTTP): counted once per socket. The address is
      // kept here: a closed channel no longer tells its remote address.
      InetAddress address = addressOf(network.getRemoteSocketAddress());
      if (address != null) {
        // The listener first, then the count: a close in between finds nothing to take back (computeIfPresent)
        // rather than leaving a count behind.
        connection.addEventListener(new Connection.Listener() {
          @Override
          public void onClosed(Connection c) {
            open.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null); // the last one removes the entry
          }
        });
        int now = open.merge(address, 1, Integer::sum);
        if (now > maxPerAddress) {
          refusedOverCap.increment();
          warnRefused(address);
          network.close(); // the listener above takes the count back
          return;
        }
      }
    }
    if (firstRequestMillis > 0 && connection.getMessagesIn() == 0) {
      // An HTTP connection (plain, or inside TLS): getMessagesIn() counts requests whose headers are
      // complete. Other connections (TLS itself) answer -1 and are covered by the HTTP one above them.
      Scheduler.Task task = scheduler.schedule(() -> expireIfSilent(connection), firstRequestMillis,
          TimeUnit.MILLISECONDS);
      connection.addEventListener(new Connection.Listener() {
        @Override
        public void onClosed(Connection c) {
          task.cancel();
        }
      });
    }
  }

  /**
   * Runs on the scheduler thread. {@code getMessagesIn()} is a plain field Jetty sets on the selector thread
   * when a request's headers are complete; a stale read can only see 0 for a request completed an instant
   * before the deadline, and closing that connection is what the deadline means anyway.
   */
  private void expireIfSilent(Connection connection) {
    if (connection.getMessagesIn() == 0 && connection.getEndPoint().isOpen()) {
      closedWithoutRequest.increment();
      LOG.debug("closed a connection from {}: no complete request within {} ms",
          connection.getEndPoint().getRemoteSocketAddress(), firstRequestMillis);
      connection.getEndPoint().close();
    }
  }

  private void warnRefused(InetAddress address) {
    refusedSinceWarn.incrementAndGet();
    long now = System.nanoTime();
    long last = lastWarn.get();
    if (now - last >= WARN_EVERY_NANOS && lastWarn.compareAndSet(last, now)) {
      LOG.warn("refused {} connection(s) over the cap of {} per client address (latest from {};"
          + " --max-connections-per-address)", refusedSinceWarn.getAndSet(0), maxPerAddress,
          address.getHostAddress());
    }
  }

  /** The client's address; for IPv6, its /64 (one host can pick any address in its /64 at will). */
  private static InetAddress addressOf(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return null;
    }
    InetAddress a = inet.getAddress();
    if (a instanceof java.net.Inet6Address) {
      byte[] b = java.util.Arrays.copyOf(a.getAddress(), 16);
      java.util.Arrays.fill(b, 8, 16, (byte) 0);
      try {
        return InetAddress.getByAddress(b);
      } catch (java.net.UnknownHostException e) {
        return a; // 16 bytes are always an address
      }
    }
    return a;
  }

  /** Connections closed at once because their address had {@code maxPerAddress} open. */
  long refusedOverCap() {
    return refusedOverCap.sum();
  }

  /** Connections closed because they sent no complete request in time. */
  long closedWithoutRequest() {
    return closedWithoutRequest.sum();
  }

  /** Open connections from this address (0 when none). */
  int openFrom(InetAddress address) {
    return open.getOrDefault(address, 0);
  }
}
