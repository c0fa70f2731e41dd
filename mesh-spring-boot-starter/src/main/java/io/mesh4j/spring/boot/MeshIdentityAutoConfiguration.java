package io.mesh4j.spring.boot;

import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.spring.boot.internal.MeshSslBundle;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The service's workload identity ({@code mesh.identity.enabled=true}): a certificate for
 * {@code mesh.service-name} from the control plane's CA, renewed at two thirds of its lifetime, and the
 * SSL bundle {@value #BUNDLE} made from it, so the embedded web server serves mutual TLS with
 * {@code server.ssl.bundle=mesh} (and {@code server.ssl.client-auth=want} or {@code need}). The bundle is
 * updated on every renewal: the server uses the new certificate for new connections, without a restart.
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnProperty(prefix = "mesh.identity", name = "enabled", havingValue = "true")
public class MeshIdentityAutoConfiguration {
  /** The name of the SSL bundle holding the workload identity. */
  public static final String BUNDLE = "mesh";

  /**
   * The started identity.
   *
   * @throws InvalidMeshPropertiesException when the service name or the control plane is not configured
   * @throws IllegalStateException when the control plane gives no certificate (the message says why)
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public WorkloadIdentity meshWorkloadIdentity(MeshProperties properties,
      ObjectProvider<ControlPlaneClient> controlPlane) {
    String service = properties.getServiceName() == null ? "" : properties.getServiceName().trim();
    ControlPlaneClient client = controlPlane.getIfAvailable();
    List<String> problems = new ArrayList<>();
    if (service.isEmpty()) {
      problems.add("mesh.identity.enabled: true without mesh.service-name (expected: the service name the"
          + " certificate is issued for)");
    }
    if (client == null) {
      problems.add("mesh.identity.enabled: true without mesh.control-plane.url (expected: the control plane"
          + " whose CA issues the certificate)");
    }
    if (!problems.isEmpty()) {
      throw new InvalidMeshPropertiesException(problems);
    }
    WorkloadIdentity identity = WorkloadIdentity.builder(service, client.certificateIssuer())
        .ttl(properties.getIdentity().getTtl()).build();
    try {
      return identity.start();
    } catch (IOException e) {
      identity.close();
      throw new IllegalStateException("mesh.identity.enabled: " + e.getMessage()
          + " (the application does not start without its identity: check the control plane and that"
          + " mesh.control-plane.token is a client token scoped to '" + service + "')", e);
    }
  }

  /** {@code /actuator/health/meshIdentity}, when the actuator's health support is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.health.contributor.HealthIndicator",
      "org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator"})
  static class HealthConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnEnabledHealthIndicator("meshidentity")
    static class Enabled {
      @Bean
      @ConditionalOnMissingBean(name = "meshIdentityHealthIndicator")
      WorkloadIdentityHealthIndicator meshIdentityHealthIndicator(WorkloadIdentity identity) {
        return new WorkloadIdentityHealthIndicator(identity);
      }
    }
  }

  /** Registers the {@value #BUNDLE} SSL bundle and keeps it current. */
  @Bean
  public SslBundleRegistrar meshSslBundleRegistrar(WorkloadIdentity identity) {
    return registry -> {
      registry.registerBundle(BUNDLE, MeshSslBundle.of(identity));
      identity.addRenewalListener(() -> registry.updateBundle(BUNDLE, MeshSslBundle.of(identity)));
    };
  }
}
