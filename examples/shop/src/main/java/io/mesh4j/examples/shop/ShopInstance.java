package io.mesh4j.examples.shop;

import io.mesh4j.Mesh;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.examples.shop.common.InstanceSpec;
import io.mesh4j.examples.shop.common.Traffic;
import io.mesh4j.spring.boot.MeshBuilderCustomizer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One running instance of a shop service: its own Spring Boot application context, configured only
 * through {@code mesh.*} properties, like a separate process would be. It registers with the control
 * plane (address, port, {@code version} label) and finds the services it calls through it.
 */
final class ShopInstance implements AutoCloseable {

  private final InstanceSpec spec;
  private final int port;
  private final ConfigurableApplicationContext context;
  private volatile boolean crashed;

  private ShopInstance(InstanceSpec spec, int port, ConfigurableApplicationContext context) {
    this.spec = spec;
    this.port = port;
    this.context = context;
  }

  /**
   * @param extra further properties; a {@code mesh.registration.port} among them is the port the
   *     instance registers (payment's gRPC port) instead of its HTTP port
   */
  static ShopInstance start(InstanceSpec spec, Class<?> application, Map<String, Object> extra,
      EmbeddedControlPlane controlPlane, Traffic traffic, DemoTelemetry telemetry, MeshEvents events, Path dataDir)
      throws IOException {
    int port = freePort();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("spring.application.name", spec.name());
    p.put("server.address", "127.0.0.1");
    p.put("server.port", port);
    p.put("server.shutdown", "immediate");
    p.put("server.tomcat.threads.min-spare", 2);
    p.put("spring.mvc.servlet.load-on-startup", 1); // ready when started, not on the first request
    // The mesh: everything about other services comes from the control plane.
    p.put("mesh.service-name", spec.service());
    p.put("mesh.control-plane.url", controlPlane.uri().toString());
    p.put("mesh.control-plane.token", controlPlane.clientToken());
    p.put("mesh.control-plane.cache-file", dataDir.resolve(spec.name() + "-mesh-cache.json").toString());
    p.put("mesh.registration.address", "127.0.0.1");
    p.put("mesh.registration.port", port); // server.port is known up front, so this is just explicit
    p.put("mesh.registration.ttl", "10s");
    spec.labels().forEach((k, v) -> p.put("mesh.registration.labels." + k, v));
    p.putAll(extra);
    int registered = Integer.parseInt(p.get("mesh.registration.port").toString());

    ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
        .web(WebApplicationType.SERVLET)
        .bannerMode(Banner.Mode.OFF)
        .logStartupInfo(false)
        .registerShutdownHook(false) // the demo closes its instances itself, in order
        .properties(p)
        .initializers(ctx -> {
          // Demo plumbing, not mesh configuration: who this instance is, where it records what it served,
          // the OpenTelemetry the mesh reports to (the starter uses the application's bean) and where its
          // events go.
          ctx.getBeanFactory().registerSingleton("instanceSpec", spec);
          ctx.getBeanFactory().registerSingleton("traffic", traffic);
          ctx.getBeanFactory().registerSingleton("openTelemetry", telemetry.openTelemetry());
          // The mesh's event log goes to the live view, naming this instance as the caller.
          ctx.getBeanFactory().registerSingleton("meshEvents",
              (MeshBuilderCustomizer) builder -> builder.eventLog(events.of(spec.name())));
        })
        .run();
    return new ShopInstance(spec, registered, context);
  }

  InstanceSpec spec() {
    return spec;
  }

  String name() {
    return spec.name();
  }

  /** {@code 127.0.0.1:PORT} (the registered port), as the mesh names its endpoints. */
  String address() {
    return "127.0.0.1:" + port;
  }

  /** This instance's mesh: how it sees the services it calls. */
  Mesh mesh() {
    return context.getBean(Mesh.class);
  }

  ControlPlaneClient controlPlaneClient() {
    return context.getBean(ControlPlaneClient.class);
  }

  boolean isCrashed() {
    return crashed;
  }

  /**
   * The instance's server dies: it stops answering at once (connections refused, requests in flight
   * cut) and nothing deregisters it — its registration even stays fresh, since the heartbeat thread lives
   * on until {@link #close()}, as for a process that hangs. Only its callers can tell, by their own
   * failures: outlier detection.
   */
  void crash() {
    crashed = true;
    ((WebServerApplicationContext) context).getWebServer().stop();
  }

  /** Shuts the rest down; its control-plane client deregisters it on the way out. */
  @Override
  public void close() {
    crashed = true;
    context.close();
  }

  /** A port free on loopback now (the instance binds it a moment later; good enough on one machine). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
