package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.mesh4j.balance.PickTrace;

/** {@link CallOptions} keys the mesh's interceptors and its load balancer share for one call. */
public final class MeshCallOptions {
  /**
   * Where the load balancer's picker records its decision for the call (the decision trace); set by the
   * client interceptor, read back when the call ends. Absent: the picker records nothing.
   */
  public static final CallOptions.Key<PickTrace> PICK_TRACE = CallOptions.Key.create("mesh4j.pickTrace");

  private MeshCallOptions() {}
}
