package io.mesh4j.examples.shop;

import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.controlplane.client.ControlPlaneClient;
import io.mesh4j.examples.shop.common.InstanceSpec;
import io.mesh4j.examples.shop.common.Traffic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Every shop instance, started together, and the "callers" of each service: the meshes that call it
 * (order's instances call product and payment; the load generator calls order). What the live view and
 * the steps read about policies, breakers and ejections comes from the callers' meshes: that is where
 * the mesh lives.
 */
final class Cluster implements AutoCloseable {
  private final List<ShopInstance> instances;
  private final LoadGenerator load;

  private Cluster(List<ShopInstance> instances, LoadGenerator load) {
    this.instances = instances;
    this.load = load;
  }

  /** Starts the instances, a few at a time (each is a whole Spring Boot application). */
  static List<ShopInstance> startInstances(List<InstanceSpec> specs, Function<String, Class<?>> applicationOf,
      Function<InstanceSpec, Map<String, Object>> properties, EmbeddedControlPlane cp, Traffic traffic,
      DemoTelemetry telemetry, MeshEvents events, Path dataDir) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<ShopInstance>> started = new ArrayList<>();
      for (InstanceSpec spec : specs) {
        started.add(pool.submit(() ->
            ShopInstance.start(spec, applicationOf.apply(spec.service()), properties.apply(spec), cp, traffic,
                telemetry, events, dataDir)));
      }
      List<ShopInstance> list = new ArrayList<>();
      Exception failure = null;
      for (Future<ShopInstance> f : started) {
        try {
          list.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          failure = failure != null ? failure : new IllegalStateException("an instance did not start", e.getCause());
        }
      }
      if (failure != null) {
        closeAll(list);
        throw failure;
      }
      return list;
    } finally {
      pool.shutdown();
    }
  }

  static Cluster of(List<ShopInstance> instances, LoadGenerator load) {
    return new Cluster(List.copyOf(instances), load);
  }

  List<ShopInstance> instances() {
    return instances;
  }

  ShopInstance instance(String name) {
    return instances.stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no instance " + name));
  }

  /** The instance name behind {@code 127.0.0.1:PORT}, or the address itself. */
  String nameOf(String address) {
    return instances.stream().filter(i -> i.address().equals(address)).map(ShopInstance::name).findFirst()
        .orElse(address);
  }

  /** A mesh that calls other services (of an instance of {@code service}, or the load generator's), and its control-plane connection. */
  record Caller(String name, String service, Mesh mesh, ControlPlaneClient controlPlane) {
    /** Its runtime for {@code service}, or null if it never called it (does not create one). */
    ServiceRuntime runtime(String service) {
      for (ServiceRuntime r : mesh.services()) {
        if (r.name().equals(service)) {
          return r;
        }
      }
      return null;
    }
  }

  /** Every live mesh: the running instances' and the load generator's. */
  List<Caller> callers() {
    List<Caller> list = new ArrayList<>();
    for (ShopInstance i : instances) {
      if (!i.isCrashed()) {
        list.add(new Caller(i.name(), i.spec().service(), i.mesh(), i.controlPlaneClient()));
      }
    }
    list.add(new Caller("load", "load", load.mesh(), load.controlPlaneClient()));
    return list;
  }

  /** The callers that have called {@code service}. */
  List<Caller> callersOf(String service) {
    return callers().stream().filter(c -> c.runtime(service) != null).toList();
  }

  @Override
  public void close() {
    closeAll(instances);
  }

  /** Closes instances, last started first. */
  static void closeAll(List<ShopInstance> instances) {
    for (int i = instances.size() - 1; i >= 0; i--) {
      instances.get(i).close();
    }
  }

  /** An {@link AutoCloseable} that throws nothing checked, for try-with-resources. */
  interface Closer extends AutoCloseable {
    @Override
    void close();
  }
}
