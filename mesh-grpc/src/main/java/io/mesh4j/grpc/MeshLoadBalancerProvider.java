package io.mesh4j.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import java.util.Map;

/**
 * The {@value #POLICY_NAME} load-balancing policy: the mesh balancer (P2C over peak-EWMA by default,
 * least-request or round robin as the policy says, with the mesh's outlier ejection and panic mode) over
 * one subchannel per endpoint. Selected by the {@code loadBalancingConfig} the mesh name resolver
 * delivers; it works only with that resolver, which hands it the service's runtime. Registered through
 * {@code META-INF/services}. Its config takes no fields: everything comes from the mesh policy.
 */
public final class MeshLoadBalancerProvider extends LoadBalancerProvider {
  /** The policy name in a service config's {@code loadBalancingConfig}. */
  public static final String POLICY_NAME = "mesh4j_p2c";

  /** Public for {@link java.util.ServiceLoader}. */
  public MeshLoadBalancerProvider() {}

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new MeshLoadBalancer(helper);
  }

  @Override
  public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    return NameResolver.ConfigOrError.fromConfig(POLICY_NAME);
  }
}
