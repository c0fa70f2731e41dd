package io.mesh4j.spring.boot;

import io.mesh4j.controlplane.client.Registration;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.InvalidPolicyException;
import io.mesh4j.policy.PolicyCodec;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.core.env.Environment;

/**
 * {@link MeshProperties} checked and turned into the engine's types. Every problem is collected first,
 * then all are reported at once in an {@link InvalidMeshPropertiesException}.
 */
final class MeshSettings {
  final ServicePolicy defaultPolicy;
  final Map<String, List<Endpoint>> endpoints;
  final Map<String, ServicePolicy> policies;
  /** The control plane's replicas (one or more); null: static configuration. */
  final List<URI> controlPlaneUrl;
  final Registration registration;

  private MeshSettings(ServicePolicy defaultPolicy, Map<String, List<Endpoint>> endpoints,
      Map<String, ServicePolicy> policies, List<URI> controlPlaneUrl, Registration registration) {
    this.defaultPolicy = defaultPolicy;
    this.endpoints = endpoints;
    this.policies = policies;
    this.controlPlaneUrl = controlPlaneUrl;
    this.registration = registration;
  }

  /** @throws InvalidMeshPropertiesException naming every bad property */
  static MeshSettings of(MeshProperties p, Environment env) {
    List<String> problems = new ArrayList<>();
    ServicePolicy defaultPolicy = ServicePolicy.DEFAULT;
    if (hasText(p.getDefaultPolicy())) {
      ServicePolicy parsed = policy("mesh.default-policy", p.getDefaultPolicy(), problems);
      defaultPolicy = parsed != null ? parsed : defaultPolicy;
    }
    Map<String, List<Endpoint>> endpoints = new LinkedHashMap<>();
    Map<String, ServicePolicy> policies = new LinkedHashMap<>();
    p.getServices().forEach((name, service) -> {
      String prefix = "mesh.services." + name;
      List<Endpoint> list = new ArrayList<>();
      List<String> raw = service.getEndpoints() == null ? List.of() : service.getEndpoints();
      for (int i = 0; i < raw.size(); i++) {
        String property = prefix + ".endpoints[" + i + "]";
        String value = raw.get(i) == null ? "" : raw.get(i).trim();
        try {
          list.add(Endpoint.parse(value));
        } catch (IllegalArgumentException e) {
          problems.add(property + ": " + withoutSubject(e.getMessage(), "'" + value + "' (expected: host:port)"));
        }
      }
      endpoints.put(name, List.copyOf(list));
      if (hasText(service.getPolicy())) {
        ServicePolicy parsed = policy(prefix + ".policy", service.getPolicy(), problems);
        if (parsed != null) {
          policies.put(name, parsed);
        }
      }
    });

    List<URI> url = null;
    Registration registration = null;
    MeshProperties.ControlPlane cp = p.getControlPlane();
    if (hasText(cp.getUrl())) {
      url = new ArrayList<>();
      for (String one : cp.getUrl().split(",", -1)) { // several replicas: comma-separated
        URI u = controlPlaneUrl(one.trim().replaceAll("/+$", ""), problems);
        if (u != null && url.contains(u)) {
          problems.add("mesh.control-plane.url: '" + one.trim() + "' given twice (expected: each replica once)");
        } else if (u != null) {
          url.add(u);
        }
      }
      if (cp.getWaitTime() != null
          && (cp.getWaitTime().isNegative() || cp.getWaitTime().compareTo(java.time.Duration.ofMinutes(5)) > 0)) {
        problems.add("mesh.control-plane.wait-time: " + cp.getWaitTime() + " (expected: 0..5m)");
      }
      java.time.Duration ri = cp.getReportInterval();
      if (ri != null && (ri.isNegative() || (!ri.isZero() && ri.compareTo(java.time.Duration.ofMillis(100)) < 0)
          || ri.compareTo(java.time.Duration.ofMinutes(10)) > 0)) {
        problems.add("mesh.control-plane.report-interval: " + ri + " (expected: 0 to turn reporting off, or"
            + " 100ms..10m)");
      }
      if (p.getRegistration().isEnabled()) {
        registration = registration(p, env, problems);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidMeshPropertiesException(problems);
    }
    return new MeshSettings(defaultPolicy, endpoints, policies, url, registration);
  }

  StaticDiscovery staticDiscovery() {
    StaticDiscovery d = StaticDiscovery.create();
    endpoints.forEach(d::set);
    return d;
  }

  StaticPolicySource staticPolicies() {
    StaticPolicySource s = StaticPolicySource.create();
    policies.forEach(s::put);
    return s;
  }

  private static ServicePolicy policy(String property, String json, List<String> problems) {
    try {
      return PolicyCodec.fromJson(json);
    } catch (InvalidPolicyException e) {
      for (InvalidPolicyException.Violation v : e.violations()) {
        problems.add(join(property, v.path()) + ": " + v.problem());
      }
      return null;
    } catch (IllegalArgumentException e) {
      problems.add(property + ": " + e.getMessage());
      return null;
    }
  }

  /** {@code mesh.default-policy} + {@code timeouts.total}; the JSON root {@code $} is the property itself. */
  private static String join(String property, String path) {
    if (path == null || path.isEmpty() || path.equals("$")) {
      return property;
    }
    if (path.startsWith("$")) {
      path = path.substring(1);
    }
    return path.startsWith(".") || path.startsWith("[") ? property + path : property + "." + path;
  }

  private static URI controlPlaneUrl(String value, List<String> problems) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme();
      if (("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && uri.getHost() != null) {
        return uri;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    problems.add("mesh.control-plane.url: '" + value + "' (expected: an http or https URL such as "
        + "http://mesh-control-plane:7070, or several separated by commas)");
    return null;
  }

  private static Registration registration(MeshProperties p, Environment env, List<String> problems) {
    MeshProperties.Registration r = p.getRegistration();
    if (!hasText(p.getServiceName())) {
      problems.add("mesh.service-name: missing (expected: this service's name, needed to register with the "
          + "control plane; or set mesh.registration.enabled=false)");
      return null;
    }
    int port;
    String portProperty;
    if (r.getPort() != null) {
      port = r.getPort();
      portProperty = "mesh.registration.port";
    } else {
      port = env.getProperty("server.port", Integer.class, 8080);
      portProperty = "server.port";
    }
    if (port < 1 || port > 65535) {
      problems.add("mesh.registration.port: " + port + (r.getPort() == null ? " (from " + portProperty + ")" : "")
          + " (expected: 1..65535; set mesh.registration.port when the server port is chosen at random)");
      return null;
    }
    if (r.getTtl() == null || r.getTtl().compareTo(java.time.Duration.ofSeconds(3)) < 0) {
      problems.add("mesh.registration.ttl: " + r.getTtl() + " (expected: >= 3s)");
      return null;
    }
    String host = hasText(r.getAddress()) ? r.getAddress().trim() : localAddress();
    return new Registration(p.getServiceName().trim(), host, port, 1, "", r.getLabels(), r.getTtl());
  }

  private static String localAddress() {
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (UnknownHostException e) {
      return InetAddress.getLoopbackAddress().getHostAddress();
    }
  }

  /** "endpoint: 'x' (expected: …)" -> "'x' (expected: …)". */
  private static String withoutSubject(String message, String fallback) {
    if (message == null) {
      return fallback;
    }
    int colon = message.indexOf(": ");
    return colon >= 0 && message.startsWith("endpoint") ? message.substring(colon + 2) : message;
  }

  private static boolean hasText(String s) {
    return s != null && !s.isBlank();
  }
}
