package io.mesh4j.discovery;

import java.util.function.Consumer;

/**
 * Service discovery SPI: resolves a logical service name to a stream of {@link EndpointSet} snapshots.
 *
 * <p>Implementations (static lists, the control plane, DNS, etcd) call the listener with the current
 * snapshot as soon as they have one — synchronously from {@link #subscribe} when it is already known —
 * and again on every change. Listeners must be cheap; they run on the source's thread.
 */
public interface DiscoverySource {

  /**
   * Whether this source resolves {@code service}. A host for which this answers false is not a mesh
   * service: calls to it pass through the mesh untouched (for example {@code api.example.com}).
   */
  boolean handles(String service);

  /** Starts delivering snapshots of {@code service} to {@code listener}. */
  Subscription subscribe(String service, Consumer<EndpointSet> listener);

  /** A short name for error messages, such as {@code static} or {@code control-plane}. */
  default String describe() {
    return getClass().getSimpleName();
  }
}
