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
