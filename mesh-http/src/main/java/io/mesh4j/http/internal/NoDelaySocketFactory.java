package io.mesh4j.http.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Sockets with {@code TCP_NODELAY}, as gRPC, Netty and Finagle make them. Needed for mutual TLS: the
 * client's second TLS 1.3 flight (certificate, its proof, finished) leaves in several small writes, and
 * with Nagle's algorithm on, each waits for the server's delayed ACK — about 40 ms added to every new
 * connection (measured in {@code MtlsOverheadBenchmark}).
 */
public final class NoDelaySocketFactory extends SocketFactory {
  private final SocketFactory delegate;

  public NoDelaySocketFactory(SocketFactory delegate) {
    this.delegate = delegate;
  }

  private static Socket noDelay(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    return s;
  }

  @Override
  public Socket createSocket() throws IOException {
    return noDelay(delegate.createSocket());
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return noDelay(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return noDelay(delegate.createSocket(host, port, localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return noDelay(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return noDelay(delegate.createSocket(address, port, localAddress, localPort));
  }
}
