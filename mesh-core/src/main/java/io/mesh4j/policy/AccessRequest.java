package io.mesh4j.policy;

import java.util.Objects;

/**
 * An inbound call as authorization sees it: who calls (the service name in the caller's verified
 * certificate, or null for a caller without a mesh identity) and what it calls.
 *
 * @param caller     the caller's service name, or null when the caller presented no mesh identity
 * @param method     the HTTP method, or null for a gRPC call
 * @param path       the HTTP path (decoded and normalized by the server), or null for a gRPC call
 * @param grpcMethod the full gRPC method name ({@code shop.Payment/Charge}), or null for an HTTP call
 */
public record AccessRequest(String caller, String method, String path, String grpcMethod) {

  public AccessRequest {
    if (grpcMethod == null) {
      Objects.requireNonNull(method, "method (of an HTTP call)");
      Objects.requireNonNull(path, "path (of an HTTP call)");
    }
  }

  /** An HTTP call. */
  public static AccessRequest http(String caller, String method, String path) {
    return new AccessRequest(caller, method, path, null);
  }

  /** A gRPC call. */
  public static AccessRequest grpc(String caller, String fullMethodName) {
    return new AccessRequest(caller, null, null, Objects.requireNonNull(fullMethodName, "fullMethodName"));
  }

  /** {@code "GET /pay"} or {@code "shop.Payment/Charge"}, for messages. */
  public String target() {
    return grpcMethod != null ? grpcMethod : method + " " + path;
  }

  /** {@code "caller 'orders'"} or {@code "a caller without a mesh identity"}, for messages. */
  public String callerText() {
    return caller != null ? "caller '" + caller + "'" : "a caller without a mesh identity";
  }
}
