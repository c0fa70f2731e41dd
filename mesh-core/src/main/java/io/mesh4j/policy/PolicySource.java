package io.mesh4j.policy;

import io.mesh4j.discovery.Subscription;
import java.util.function.Consumer;

/**
 * Where service policies come from: fixed values ({@link StaticPolicySource}) or, in a later module,
 * the control plane. The listener receives the current revision as soon as the source has one
 * (synchronously from {@link #subscribe} when it is already known) and every later revision. A service
 * the source has no policy for runs on the mesh's default policy.
 */
public interface PolicySource {

  /** Starts delivering revisions of {@code service}'s policy to {@code listener}. */
  Subscription subscribe(String service, Consumer<VersionedPolicy> listener);
}
