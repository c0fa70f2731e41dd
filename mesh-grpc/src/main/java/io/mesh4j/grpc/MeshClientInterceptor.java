package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.mesh4j.Mesh;
import java.util.Objects;

/**
 * The mesh's client-side layers for one service that gRPC itself lacks (placeholder: passes calls
 * through unchanged until the interceptor layers land).
 */
public final class MeshClientInterceptor implements ClientInterceptor {
  private final Mesh mesh;
  private final String service;

  /** Layers for calls to {@code service} through {@code mesh}. */
  public MeshClientInterceptor(Mesh mesh, String service) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.service = Objects.requireNonNull(service, "service");
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return next.newCall(method, options);
  }

  @Override
  public String toString() {
    return "MeshClientInterceptor{" + service + "}";
  }
}
