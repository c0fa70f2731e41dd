package io.mesh4j.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code mesh.*} properties. Checked when the {@code Mesh} bean is made: a bad value fails start-up
 * with a message that names the property ({@code mesh.services.orders.endpoints[0]: 'x' (expected:
 * host:port)}).
 */
@ConfigurationProperties("mesh")
public class MeshProperties {
  /** This service's own name: the name it registers under with the control plane. */
  private String serviceName;

  /**
   * The policy of every service that has none of its own, as policy JSON (the control plane's format).
   * Empty: the built-in defaults.
   */
  private String defaultPolicy;

  /** The control plane: when its URL is set, endpoints and policies come from it. */
  private final ControlPlane controlPlane = new ControlPlane();

  /** This service's own instance, registered with the control plane. */
  private final Registration registration = new Registration();

  /**
   * Services called, by name, with static endpoints and an optional policy. Used when no control plane
   * is configured.
   */
  private Map<String, Service> services = new LinkedHashMap<>();

  /** gRPC: mesh channels made as beans (needs mesh-grpc and a gRPC transport on the class path). */
  private final Grpc grpc = new Grpc();

  /** The mesh's metrics. */
  private final Metrics metrics = new Metrics();

  /** This service's workload identity: a certificate from the control plane's CA, served as the "mesh" SSL bundle. */
  private final Identity identity = new Identity();

  public String getServiceName() {
    return serviceName;
  }

  public void setServiceName(String serviceName) {
    this.serviceName = serviceName;
  }

  public String getDefaultPolicy() {
    return defaultPolicy;
  }

  public void setDefaultPolicy(String defaultPolicy) {
    this.defaultPolicy = defaultPolicy;
  }

  public ControlPlane getControlPlane() {
    return controlPlane;
  }

  public Registration getRegistration() {
    return registration;
  }

  public Grpc getGrpc() {
    return grpc;
  }

  public Identity getIdentity() {
    return identity;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  public Map<String, Service> getServices() {
    return services;
  }

  public void setServices(Map<String, Service> services) {
    this.services = services;
  }

  /** {@code mesh.control-plane.*}. */
  public static class ControlPlane {
    /**
     * The control plane's base URL, e.g. http://mesh-control-plane:7070, or its replicas' separated by
     * commas (the client fails over from one to the next). Empty: static configuration.
     */
    private String url;

    /** The client token sent with watch and register requests. Never logged. */
    private String token;

    /**
     * Where the last state received from the control plane is kept, so the service starts and serves
     * from it while the control plane is away. Empty: no cache.
     */
    private Path cacheFile;

    /** How long one watch (long-poll) request may be held by the control plane. */
    private Duration waitTime = Duration.ofSeconds(30);

    /**
     * How often this instance reports its traffic to the control plane (for /v1/topology and
     * /v1/clients), jittered by 20%. 0 turns reporting off.
     */
    private Duration reportInterval = Duration.ofSeconds(10);

    public Duration getReportInterval() {
      return reportInterval;
    }

    public void setReportInterval(Duration reportInterval) {
      this.reportInterval = reportInterval;
    }

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getToken() {
      return token;
    }

    public void setToken(String token) {
      this.token = token;
    }

    public Path getCacheFile() {
      return cacheFile;
    }

    public void setCacheFile(Path cacheFile) {
      this.cacheFile = cacheFile;
    }

    public Duration getWaitTime() {
      return waitTime;
    }

    public void setWaitTime(Duration waitTime) {
      this.waitTime = waitTime;
    }
  }

  /** {@code mesh.registration.*}. */
  public static class Registration {
    /** Whether to register this instance with the control plane (needs mesh.service-name). */
    private boolean enabled = true;

    /** The address other services connect to. Empty: this host's address. */
    private String address;

    /** The port other services connect to. Empty: server.port (8080 when that is not set either). */
    private Integer port;

    /** Labels of this instance, e.g. version=v2, used by routes to pick subsets. */
    private Map<String, String> labels = new LinkedHashMap<>();

    /** How long the control plane keeps this instance without a heartbeat (at least 3s). */
    private Duration ttl = Duration.ofSeconds(30);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getAddress() {
      return address;
    }

    public void setAddress(String address) {
      this.address = address;
    }

    public Integer getPort() {
      return port;
    }

    public void setPort(Integer port) {
      this.port = port;
    }

    public Map<String, String> getLabels() {
      return labels;
    }

    public void setLabels(Map<String, String> labels) {
      this.labels = labels;
    }

    public Duration getTtl() {
      return ttl;
    }

    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }
  }

  /** {@code mesh.services.<name>.*}. */
  public static class Service {
    /** The service's endpoints, each "host:port" ("[::1]:8080" for IPv6). */
    private List<String> endpoints = new ArrayList<>();

    /** The service's policy as policy JSON. Empty: mesh.default-policy. */
    private String policy;

    public List<String> getEndpoints() {
      return endpoints;
    }

    public void setEndpoints(List<String> endpoints) {
      this.endpoints = endpoints;
    }

    public String getPolicy() {
      return policy;
    }

    public void setPolicy(String policy) {
      this.policy = policy;
    }
  }

  /** {@code mesh.grpc.*}. */
  public static class Grpc {
    /**
     * Services to make a mesh gRPC channel bean for, named {@code <service>GrpcChannel} in camel case
     * ({@code payment} → {@code paymentGrpcChannel}); shut down with the context.
     */
    private List<String> channels = new ArrayList<>();

    public List<String> getChannels() {
      return channels;
    }

    public void setChannels(List<String> channels) {
      this.channels = channels;
    }
  }

  /** {@code mesh.metrics.*}. */
  public static class Identity {
    /**
     * Whether to obtain a workload identity for mesh.service-name from the control plane (needs
     * mesh.control-plane.url and a token scoped to this service) and register it as the SSL bundle
     * "mesh" (serve mTLS with server.ssl.bundle=mesh). Start-up fails when no certificate is obtained.
     */
    private boolean enabled;

    /** The certificate lifetime asked for; empty: the control plane's default (24h). Renewed at two thirds. */
    private Duration ttl;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getTtl() {
      return ttl;
    }

    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }
  }

  public static class Metrics {
    /** The application's Micrometer registry. */
    private final Micrometer micrometer = new Micrometer();

    public Micrometer getMicrometer() {
      return micrometer;
    }
  }

  /** {@code mesh.metrics.micrometer.*}. */
  public static class Micrometer {
    /**
     * Whether the mesh's metrics are recorded in the application's Micrometer MeterRegistry (so
     * /actuator/metrics and /actuator/prometheus show them), next to its OpenTelemetry SDK if it has one.
     * Needs micrometer-core on the class path and a MeterRegistry bean.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
