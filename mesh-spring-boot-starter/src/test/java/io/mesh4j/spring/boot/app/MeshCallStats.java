package io.mesh4j.spring.boot.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Component;

/** A status page's view of the mesh: its metrics, read back from the application's MeterRegistry. */
@Component
public class MeshCallStats {
  private final MeterRegistry registry;

  public MeshCallStats(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Logical calls made to {@code service} (one per call, however many attempts it took). */
  public long calls(String service) {
    return registry.find("http.client.request.duration").tag("server.address", service)
        .timers().stream().mapToLong(Timer::count).sum();
  }

  /** Attempts sent to the endpoints of {@code service} that ended with {@code outcome}. */
  public double attempts(String service, String outcome) {
    return registry.find("mesh.client.attempts").tags("mesh.service", service, "mesh.outcome", outcome)
        .counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Retries sent to {@code service}, whatever the reason. */
  public double retries(String service) {
    return registry.find("mesh.client.retries").tag("mesh.service", service)
        .counters().stream().mapToDouble(Counter::count).sum();
  }
}
