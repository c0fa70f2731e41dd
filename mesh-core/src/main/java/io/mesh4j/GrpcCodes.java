package io.mesh4j;

/**
 * gRPC status codes by their numeric values (from the gRPC specification), and the one HTTP-status to
 * gRPC-code mapping the mesh uses wherever a policy written in HTTP statuses applies to gRPC: injected
 * aborts ({@code faults.abort.status}) and retryable statuses ({@code retries.retryOn}). Kept in this
 * protocol-neutral module so that both uses read the same table.
 */
public final class GrpcCodes {
  public static final int OK = 0;
  public static final int CANCELLED = 1;
  public static final int UNKNOWN = 2;
  public static final int INVALID_ARGUMENT = 3;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int NOT_FOUND = 5;
  public static final int ALREADY_EXISTS = 6;
  public static final int PERMISSION_DENIED = 7;
  public static final int RESOURCE_EXHAUSTED = 8;
  public static final int FAILED_PRECONDITION = 9;
  public static final int ABORTED = 10;
  public static final int OUT_OF_RANGE = 11;
  public static final int UNIMPLEMENTED = 12;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;
  public static final int DATA_LOSS = 15;
  public static final int UNAUTHENTICATED = 16;

  private GrpcCodes() {}

  /**
   * The gRPC code for an HTTP status, following the HTTP mapping of {@code google.rpc.Code} (the one
   * gRPC-gateway and Google APIs use) rather than gRPC's own "HTTP status of a non-gRPC response" table,
   * which turns almost everything into UNAVAILABLE or UNKNOWN and so would lose the difference between
   * 429, 503 and 504. So {@code retryOn: [429]} retries RESOURCE_EXHAUSTED, the very code an injected 429
   * abort produces.
   */
  public static int forHttpStatus(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> INVALID_ARGUMENT;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404 -> NOT_FOUND;
      case 408, 504 -> DEADLINE_EXCEEDED;
      case 409 -> ABORTED;
      case 412 -> FAILED_PRECONDITION;
      case 416 -> OUT_OF_RANGE;
      case 429 -> RESOURCE_EXHAUSTED;
      case 499 -> CANCELLED;
      case 500 -> INTERNAL;
      case 501 -> UNIMPLEMENTED;
      case 502, 503 -> UNAVAILABLE;
      default -> httpStatus >= 400 && httpStatus < 500 ? FAILED_PRECONDITION
          : httpStatus >= 500 ? INTERNAL : UNKNOWN;
    };
  }
}
