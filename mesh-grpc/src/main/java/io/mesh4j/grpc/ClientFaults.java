package io.mesh4j.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.mesh4j.balance.RandomSource;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Fault injection for gRPC calls: the draw (same resolution as the HTTP layer's, so one seeded
 * {@link RandomSource} gives the same decisions), the mapping of the policy's HTTP {@code abortStatus}
 * onto a gRPC status, and the timer that ends injected delays without holding the caller's thread.
 */
final class ClientFaults {
  private static final long ONE_MILLION = 1_000_000;

  /** Trailer set on a call the mesh aborted: {@code mesh-fault: abort}. */
  static final Metadata.Key<String> FAULT_TRAILER = Metadata.Key.of("mesh-fault", Metadata.ASCII_STRING_MARSHALLER);

  private ClientFaults() {}

  /** Whether an event with probability {@code percent}/100 happens, at a resolution of 0.0001%. */
  static boolean draw(double percent, RandomSource random) {
    return percent > 0 && (percent >= 100 || random.nextLong(100 * ONE_MILLION) < (long) (percent * ONE_MILLION));
  }

  /** The gRPC code for an HTTP status: the mesh's one mapping, {@link io.mesh4j.GrpcCodes#forHttpStatus}. */
  static Status.Code codeFor(int httpStatus) {
    return Status.fromCodeValue(io.mesh4j.GrpcCodes.forHttpStatus(httpStatus)).getCode();
  }

  /**
   * Whether a load balancer's picker can fail an attempt with {@code code}. gRPC replaces the codes a
   * control plane must not produce (gRFC A54: INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
   * FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, DATA_LOSS) by INTERNAL in a pick's status, so aborts
   * with those codes cannot be injected per attempt.
   */
  static boolean pickerCanReport(Status.Code code) {
    return switch (code) {
      case OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, DATA_LOSS ->
          false;
      default -> true;
    };
  }

  /** The status an injected abort closes the call with. */
  static Status abortStatus(String service, int httpStatus) {
    return Status.fromCode(codeFor(httpStatus)).withDescription("service '" + service
        + "': fault injected by mesh policy (faults.abort.status " + httpStatus + "); nothing was sent");
  }

  /** One daemon thread for every injected delay of the process; created on first use. */
  static ScheduledExecutorService timer() {
    return Timer.INSTANCE;
  }

  private static final class Timer {
    static final ScheduledExecutorService INSTANCE = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "mesh4j-grpc-fault-delay");
        t.setDaemon(true);
        return t;
      });
      e.setRemoveOnCancelPolicy(true); // a cancelled delay does not sit in the queue until it would have fired
      return e;
    }
  }
}
