package io.mesh4j;

/**
 * The one classification of a service's answer, shared by the HTTP and gRPC adapters so that both
 * transports decide the same way: what the answer says about the endpoint (balancer, outlier ejection),
 * about the service (circuit breaker), and whether it is an overload signal (adaptive concurrency
 * limit). Adapters translate an HTTP status ({@link #ofHttp}) or a gRPC status code ({@link #ofGrpc})
 * and decide nothing of their own. {@code docs/concepts.md} has the table.
 *
 * <p>gRPC codes are their numeric values from the gRPC specification ({@code Status.Code.value()}), so
 * that this protocol-neutral module needs no gRPC import.
 */
public enum AnswerClass {
  /** 2xx, 3xx; OK. */
  SUCCESS(Outcome.SUCCESS, false),
  /**
   * The service answered and the request was at fault: 4xx other than 429 and 499; INVALID_ARGUMENT,
   * NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION, ABORTED,
   * OUT_OF_RANGE, UNIMPLEMENTED. A healthy endpoint.
   */
  REQUEST_ERROR(Outcome.SUCCESS, false),
  /**
   * The service sheds load: 429; RESOURCE_EXHAUSTED. Not an endpoint failure (ejecting an endpoint that
   * sheds load only moves its load onto the others) and not a breaker failure, but an overload signal.
   */
  OVERLOAD(Outcome.SUCCESS, true),
  /** The endpoint cannot serve now: 503; UNAVAILABLE. A failure and an overload signal. */
  UNAVAILABLE(Outcome.FAILURE, true),
  /** Any other server error: 5xx but 503; INTERNAL, UNKNOWN, DATA_LOSS. A failure. */
  SERVER_ERROR(Outcome.FAILURE, false),
  /**
   * Time ran out: gRPC's DEADLINE_EXCEEDED, which is nearly always the caller's own deadline (HTTP's
   * 504 is a gateway's answer and counts as a server error). The latency is learned, the endpoint is not
   * blamed, and it is an overload signal.
   */
  TIMEOUT(Outcome.TIMEOUT, true),
  /** The caller gave up: 499; CANCELLED. Nothing is learned. */
  CANCELLED(Outcome.CANCELLED, false);

  private final Outcome outcome;
  private final boolean overload;

  AnswerClass(Outcome outcome, boolean overload) {
    this.outcome = outcome;
    this.overload = overload;
  }

  /** What the answer says about the endpoint that gave it: the balancer's and outlier ejection's input. */
  public Outcome endpointOutcome() {
    return outcome;
  }

  /** What the answer says about the service: the circuit breaker's input (the same classes). */
  public Outcome breakerOutcome() {
    return outcome;
  }

  /** Whether the adaptive concurrency limit takes the answer as a sign of overload (a "drop"). */
  public boolean overloadSignal() {
    return overload;
  }

  /** The class of an HTTP status. */
  public static AnswerClass ofHttp(int status) {
    if (status < 400) {
      return SUCCESS;
    }
    return switch (status) {
      case 429 -> OVERLOAD;
      case 499 -> CANCELLED;
      case 503 -> UNAVAILABLE;
      default -> status >= 500 ? SERVER_ERROR : REQUEST_ERROR;
    };
  }

  /** The class of a gRPC status code, by its numeric value (0 OK ... 16 UNAUTHENTICATED). */
  public static AnswerClass ofGrpc(int code) {
    return switch (code) {
      case GrpcCodes.OK -> SUCCESS;
      case GrpcCodes.CANCELLED -> CANCELLED;
      case GrpcCodes.DEADLINE_EXCEEDED -> TIMEOUT;
      case GrpcCodes.RESOURCE_EXHAUSTED -> OVERLOAD;
      case GrpcCodes.UNAVAILABLE -> UNAVAILABLE;
      case GrpcCodes.UNKNOWN, GrpcCodes.INTERNAL, GrpcCodes.DATA_LOSS -> SERVER_ERROR;
      default -> REQUEST_ERROR;
    };
  }
}
