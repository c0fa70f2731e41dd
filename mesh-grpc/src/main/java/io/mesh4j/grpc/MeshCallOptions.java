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

  /**
   * Set (to {@code TRUE}) by a {@link MeshClientInterceptor} that injected the policy's aborts itself,
   * once per call; the mesh load balancer's picker then injects none. Absent, the picker injects aborts
   * per attempt, below gRPC's retries, as the HTTP stack does — the interceptor installed by
   * {@link MeshGrpc#channelBuilder} leaves it absent.
   */
  public static final CallOptions.Key<Boolean> ABORTS_INJECTED = CallOptions.Key.createWithDefault("mesh4j.abortsInjected", false);

  /**
   * The call's routing decision and latest endpoint, shared by the picks of its attempts; set by the
   * client interceptor on every call. Absent (a plain channel on the {@code mesh} scheme without the
   * interceptor), the picker routes each pick on its own.
   */
  static final CallOptions.Key<CallPicks> CALL_PICKS = CallOptions.Key.create("mesh4j.callPicks");

  private MeshCallOptions() {}
}
