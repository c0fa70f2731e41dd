package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.mesh4j.balance.PickTrace;
import java.util.function.Consumer;

/** {@link CallOptions} keys the mesh's client interceptor and its load balancer share for one call. */
public final class MeshCallOptions {
  /**
   * Told about every pick the mesh load balancer makes for the call (one per attempt: retries and hedges
   * pick again), with a fresh {@link PickTrace} holding that decision. Set by the client interceptor to
   * record the decision trace; absent, the picker records nothing. Called on whatever thread gRPC picks
   * on; must be cheap and thread-safe.
   */
  public static final CallOptions.Key<Consumer<PickTrace>> PICK_LISTENER = CallOptions.Key.create("mesh4j.pickListener");

  private MeshCallOptions() {}
}
