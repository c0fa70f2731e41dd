package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.mesh4j.Mesh;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.Subscription;
import io.mesh4j.policy.ServicePolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Pattern;

/**
 * Resolves {@code mesh:///<service>} from the mesh itself: every endpoint the mesh's discovery knows
 * becomes an {@link EquivalentAddressGroup} (the {@link Endpoint}, with its labels, in the group's
 * attributes under {@link MeshGrpc#ENDPOINT}), and the service's {@link ServicePolicy} becomes the
 * service config ({@link ServiceConfigs#of}). A new result is pushed whenever the endpoint set or the
 * policy changes ({@link ServiceRuntime#onChange}), so a live channel follows discovery and policy
 * pushes without being rebuilt.
 *
 * <h2>Threads</h2>
 * gRPC requires {@code Listener2} to be called from the channel's {@link SynchronizationContext}.
 * Change notifications arrive on discovery or control-plane threads, so they only schedule
 * {@link #resolve} on that context; all fields are confined to it. A result is always built from the
 * runtime's <em>current</em> state (not from the event), so coalesced or reordered notifications can
 * never push a stale view. Host names (not IP literals) are looked up on the channel's offload executor
 * so DNS never blocks the context; a generation counter drops a lookup overtaken by a newer change.
 */
final class MeshNameResolver extends NameResolver {
  /** The service's runtime, in the resolution result's attributes: the mesh load balancer's engine. */
  static final Attributes.Key<ServiceRuntime> RUNTIME = Attributes.Key.create("io.mesh4j.grpc.runtime");

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Mesh mesh;
  private final String service;
  private final SynchronizationContext sync;
  private final ServiceConfigParser configParser;
  private final Executor offload;
  private final ChannelLogger logger;

  // Confined to the synchronization context.
  private Listener2 listener;
  private ServiceRuntime runtime;
  private Subscription subscription;
  private boolean shutdown;
  private long generation;
  private List<Endpoint> lastEndpoints;
  private ServicePolicy lastPolicy;

  MeshNameResolver(Mesh mesh, String service, Args args) {
    this.mesh = mesh;
    this.service = service;
    this.sync = args.getSynchronizationContext();
    this.configParser = args.getServiceConfigParser();
    this.offload = args.getOffloadExecutor();
    this.logger = args.getChannelLogger();
  }

  @Override
  public String getServiceAuthority() {
    return service;
  }

  @Override
  public void start(Listener2 listener) {
    // Called on the synchronization context.
    this.listener = listener;
    try {
      runtime = mesh.service(service);
    } catch (RuntimeException e) { // the mesh is closed
      listener.onError(Status.UNAVAILABLE.withDescription("mesh service '" + service + "': " + e.getMessage())
          .withCause(e));
      return;
    }
    subscription = runtime.onChange(() -> sync.execute(this::resolve));
    resolve();
  }

  @Override
  public void refresh() {
    // The channel asks again (e.g. after the balancer reported a failure): push even if nothing changed.
    lastEndpoints = null;
    resolve();
  }

  @Override
  public void shutdown() {
    shutdown = true;
    if (subscription != null) {
      subscription.close();
      subscription = null;
    }
  }

  private void resolve() {
    if (shutdown || runtime == null) {
      return;
    }
    List<EndpointStats> stats = runtime.endpoints();
    ServicePolicy policy = runtime.policy();
    List<Endpoint> endpoints = new ArrayList<>(stats.size());
    boolean literalsOnly = true;
    for (EndpointStats s : stats) {
      endpoints.add(s.endpoint());
      literalsOnly &= isIpLiteral(s.endpoint().host());
    }
    if (endpoints.equals(lastEndpoints) && policy.equals(lastPolicy)) {
      return; // nothing the channel would see changed (an ejection, say)
    }
    long gen = ++generation;
    if (literalsOnly || offload == null) {
      push(gen, endpoints, policy, addresses(endpoints));
      return;
    }
    try {
      offload.execute(() -> {
        List<EquivalentAddressGroup> groups = addresses(endpoints); // may block on DNS: off the context
        sync.execute(() -> push(gen, endpoints, policy, groups));
      });
    } catch (RejectedExecutionException e) {
      push(gen, endpoints, policy, addresses(endpoints)); // channel shutting down: best effort
    }
  }

  private void push(long gen, List<Endpoint> endpoints, ServicePolicy policy, List<EquivalentAddressGroup> groups) {
    if (shutdown || gen != generation) {
      return; // a newer change is on its way
    }
    lastEndpoints = endpoints;
    lastPolicy = policy;
    Map<String, ?> config = ServiceConfigs.of(policy);
    ConfigOrError parsed = configParser.parseServiceConfig(config);
    if (parsed.getError() != null) {
      logger.log(ChannelLogger.ChannelLogLevel.WARNING, "mesh service ''{0}'': service config {1} rejected: {2}",
          service, config, parsed.getError());
    }
    ResolutionResult result = ResolutionResult.newBuilder()
        .setAddressesOrError(StatusOr.fromValue(groups))
        .setAttributes(Attributes.newBuilder().set(RUNTIME, runtime).build())
        .setServiceConfig(parsed)
        .build();
    logger.log(ChannelLogger.ChannelLogLevel.DEBUG, "mesh service ''{0}'': {1} endpoints, policy revision {2}",
        service, groups.size(), runtime.policyRevision());
    Status status = listener.onResult2(result);
    if (!status.isOk()) {
      // The channel could not use it; it will call refresh() with backoff, which pushes again.
      lastEndpoints = null;
    }
  }

  private List<EquivalentAddressGroup> addresses(List<Endpoint> endpoints) {
    List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      InetSocketAddress address;
      try {
        // getByName does no lookup for an IP literal.
        address = new InetSocketAddress(InetAddress.getByName(e.host()), e.port());
      } catch (UnknownHostException ex) {
        logger.log(ChannelLogger.ChannelLogLevel.WARNING, "mesh service ''{0}'': endpoint {1} skipped: {2}",
            service, e.address(), ex.toString());
        continue;
      }
      groups.add(new EquivalentAddressGroup(address, Attributes.newBuilder().set(MeshGrpc.ENDPOINT, e).build()));
    }
    return groups;
  }

  static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
  }

  @Override
  public String toString() {
    return "MeshNameResolver{" + service + "}";
  }
}
