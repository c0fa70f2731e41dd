package io.mesh4j.spring.boot;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.breaker.ServiceBreaker;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.controlplane.client.ControlPlaneStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code mesh} actuator endpoint: every service called so far with its endpoints (address, pending
 * requests, EWMA latency, ejection), its policy revision, the circuit breakers' states and the control
 * plane's status.
 */
@Endpoint(id = "mesh")
public class MeshEndpoint {
  private final Mesh mesh;
  private final ObjectProvider<ControlPlaneClient> controlPlane;

  public MeshEndpoint(Mesh mesh, ObjectProvider<ControlPlaneClient> controlPlane) {
    this.mesh = mesh;
    this.controlPlane = controlPlane;
  }

  @ReadOperation
  public Map<String, Object> mesh() {
    Map<String, Object> out = new LinkedHashMap<>();
    long now = mesh.ticker().nanoTime();
    Map<String, Object> services = new LinkedHashMap<>();
    List<ServiceRuntime> runtimes = new ArrayList<>(mesh.services());
    runtimes.sort(Comparator.comparing(ServiceRuntime::name));
    for (ServiceRuntime rt : runtimes) {
      double tau = rt.policy().balancer().decay().toNanos();
      List<Map<String, Object>> endpoints = new ArrayList<>();
      for (EndpointStats e : rt.endpoints()) {
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("address", e.endpoint().address());
        ep.put("pending", e.pending());
        ep.put("ewmaMs", Math.round(e.ewmaNanos(now, tau) / 1_000.0) / 1_000.0);
        ep.put("ejected", e.isEjected());
        ep.put("timesEjected", e.timesEjected());
        ep.put("requests", e.requests());
        ep.put("failures", e.failures());
        endpoints.add(ep);
      }
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("policyRevision", rt.policyRevision());
      s.put("panicMode", rt.panicMode());
      s.put("endpoints", endpoints);
      services.put(rt.name(), s);
    }
    out.put("services", services);
    Map<String, Object> breakers = new LinkedHashMap<>();
    List<ServiceBreaker> all = new ArrayList<>(mesh.breakers().all());
    all.sort(Comparator.comparing(ServiceBreaker::service));
    for (ServiceBreaker b : all) {
      breakers.put(b.service(), String.valueOf(b.state()));
    }
    out.put("breakers", breakers);
    ControlPlaneClient client = controlPlane.getIfAvailable();
    if (client != null) {
      out.put("controlPlane", status(client.status()));
    }
    return out;
  }

  static Map<String, Object> status(ControlPlaneStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (s.controlPlane() != null) {
      m.put("controlPlane", s.controlPlane().toString());
    }
    m.put("connected", s.connected());
    m.put("revision", s.revision());
    m.put("servingFromCache", s.servingFromCache());
    m.put("lastContact", s.lastContact() == null ? null : s.lastContact().toString());
    m.put("lastError", s.lastError());
    return m;
  }
}
