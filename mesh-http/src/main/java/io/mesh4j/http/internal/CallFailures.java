package io.mesh4j.http.internal;

import io.mesh4j.DeadlineExceededException;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.breaker.CircuitOpenException;
import io.mesh4j.deadline.Deadline;
import io.opentelemetry.context.Context;
import java.io.IOException;
import okhttp3.Interceptor;

/** How the breaker and limit layers read an exception from the layers below them. */
final class CallFailures {
  private CallFailures() {}

  /**
   * Nothing reached the service: a deadline that expired before sending, no endpoint known, or a
   * breaker below refusing. Such a failure says nothing about the service's health or load.
   */
  static boolean nothingReachedTheService(IOException e) {
    return e instanceof DeadlineExceededException d ? !d.wasSent()
        : e instanceof NoEndpointsException || e instanceof CircuitOpenException;
  }

  /**
   * The calling thread was interrupted: an {@link java.io.InterruptedIOException} that is not a socket
   * timeout, or any I/O failure of a thread whose interrupt flag is set. Like a cancellation, it says
   * nothing about the endpoint.
   */
  static boolean interrupted(IOException e) {
    return (e instanceof java.io.InterruptedIOException && !(e instanceof java.net.SocketTimeoutException))
        || Thread.currentThread().isInterrupted();
  }

  /**
   * A checked exception that code below (OkHttp is Kotlin, which does not declare checked exceptions)
   * threw without declaring it, as the IOException every OkHttp call promises. An
   * {@link InterruptedException} becomes an {@link java.io.InterruptedIOException} and the thread's
   * interrupt flag is set again.
   */
  static IOException asIoException(Exception e, String service) {
    IOException io;
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      io = new java.io.InterruptedIOException("service '" + service + "': interrupted");
    } else {
      io = new IOException("service '" + service + "': " + e);
    }
    io.initCause(e);
    return io;
  }

  /**
   * The caller cancelled the call (not the mesh's deadline, not a per-attempt timeout): nothing is
   * learned about the service. A deadline cancels the call too, so the call's deadline is checked.
   */
  static boolean cancelledByCaller(Interceptor.Chain chain, IOException e) {
    if (e instanceof DeadlineExceededException || !chain.call().isCanceled()) {
      return false;
    }
    Deadline deadline = Deadline.fromContext(Context.current());
    return deadline == null || !deadline.isExpired();
  }
}
