package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolverRegistry;
import io.mesh4j.Mesh;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.discovery.Endpoint;
import java.util.Objects;

/**
 * gRPC channels to mesh services.
 *
 * <pre>{@code
 * ManagedChannel channel = MeshGrpc.channel(mesh, "orders");          // plaintext
 * OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(channel);
 *
 * ManagedChannel tls = MeshGrpc.channelBuilder(mesh, "orders")
 *     .useTransportSecurity()                                          // or any builder option
 *     .build();
 * }</pre>
 *
 * <p>The channel's target is {@code mesh:///orders}: the mesh's discovery feeds gRPC's name resolver
 * ({@link MeshNameResolverProvider}), the mesh policy becomes the channel's service config (timeout,
 * retries or hedging, retry throttling: {@link ServiceConfigs}), and the mesh balancer picks among one
 * subchannel per endpoint ({@link MeshLoadBalancerProvider}). The mesh's own client layers
 * ({@link MeshClientInterceptor}) are installed as an interceptor. The transport (grpc-netty-shaded,
 * grpc-okhttp, …) is the application's: whichever {@code ManagedChannelProvider} is on the classpath.
 */
public final class MeshGrpc {
  /**
   * The mesh {@link Endpoint} (address, labels, zone, weight) an address group stands for, in the
   * {@link io.grpc.EquivalentAddressGroup}'s attributes of every address the mesh resolver delivers.
   */
  public static final Attributes.Key<Endpoint> ENDPOINT = Attributes.Key.create("io.mesh4j.grpc.endpoint");

  private static volatile Mesh defaultMesh;

  static {
    // META-INF/services registers both providers; this covers class paths where service files were lost
    // (a fat jar that did not merge them). Registering twice would be harmless but noisy, hence the checks.
    if (NameResolverRegistry.getDefaultRegistry().getProviderForScheme(MeshNameResolverProvider.SCHEME) == null) {
      NameResolverRegistry.getDefaultRegistry().register(new MeshNameResolverProvider());
    }
    if (LoadBalancerRegistry.getDefaultRegistry().getProvider(MeshLoadBalancerProvider.POLICY_NAME) == null) {
      LoadBalancerRegistry.getDefaultRegistry().register(new MeshLoadBalancerProvider());
    }
  }

  private MeshGrpc() {}

  /** {@code mesh:///<service>}, the target naming a mesh service. */
  public static String target(String service) {
    Objects.requireNonNull(service, "service");
    if (service.isEmpty() || service.indexOf('/') >= 0) {
      throw new IllegalArgumentException("service: '" + service + "' (expected: a mesh service name)");
    }
    return MeshNameResolverProvider.SCHEME + ":///" + service;
  }

  /** A plaintext channel to {@code service} through {@code mesh}. Shut it down when done. */
  public static ManagedChannel channel(Mesh mesh, String service) {
    return channelBuilder(mesh, service).build();
  }

  /**
   * A builder for a channel to {@code service} through {@code mesh}, plaintext unless told otherwise
   * ({@code useTransportSecurity()}); set executors, credentials, message limits and the like on it.
   * Do not replace its name resolver or load-balancing policy, or disable service-config lookup: those
   * are how the mesh steers the channel.
   */
  public static ManagedChannelBuilder<?> channelBuilder(Mesh mesh, String service) {
    Objects.requireNonNull(mesh, "mesh");
    return configure(ManagedChannelBuilder.forTarget(target(service)).usePlaintext(), mesh, service);
  }

  /**
   * A builder for a mutual-TLS channel to {@code service} through {@code mesh}: the channel presents
   * {@code identity}'s certificate and accepts a server only if its chain passes the mesh's trust bundle
   * and its certificate names {@code service} ({@code spiffe://<trust-domain>/service/<service>}; the
   * host name is not checked, the workload is). Renewed certificates and trust bundles are used from the
   * next handshake on, without rebuilding the channel; connections already open carry on.
   */
  public static ManagedChannelBuilder<?> channelBuilder(Mesh mesh, String service, WorkloadIdentity identity) {
    Objects.requireNonNull(mesh, "mesh");
    ChannelCredentials tls = TlsChannelCredentials.newBuilder()
        .keyManager(Objects.requireNonNull(identity, "identity").keyManager())
        .trustManager(identity.trustManagerFor(service))
        .build();
    return configure(Grpc.newChannelBuilder(target(service), tls), mesh, service);
  }

  /**
   * Server credentials presenting {@code identity} and checking callers' certificates against the mesh's
   * trust bundle: {@code requireClientCertificate} refuses a caller without one at the handshake (strict
   * mTLS); otherwise such a caller is served as one without a mesh identity, which the service's
   * authorization rules ({@link MeshServerInterceptor#MeshServerInterceptor(Mesh, String)}) may allow or
   * deny. Renewals apply from the next handshake.
   *
   * <pre>{@code
   * Server server = Grpc.newServerBuilderForPort(8443, MeshGrpc.serverCredentials(identity, true))
   *     .addService(ServerInterceptors.intercept(new PaymentService(), new MeshServerInterceptor(mesh, "payment")))
   *     .build().start();
   * }</pre>
   */
  public static ServerCredentials serverCredentials(WorkloadIdentity identity, boolean requireClientCertificate) {
    Objects.requireNonNull(identity, "identity");
    return TlsServerCredentials.newBuilder()
        .keyManager(identity.keyManager())
        .trustManager(identity.trustManager())
        .clientAuth(requireClientCertificate ? TlsServerCredentials.ClientAuth.REQUIRE
            : TlsServerCredentials.ClientAuth.OPTIONAL)
        .build();
  }

  private static ManagedChannelBuilder<?> configure(ManagedChannelBuilder<?> builder, Mesh mesh, String service) {
    // Binding the resolver to THIS mesh: the channel passes the mesh to the resolver provider as a
    // NameResolver.Args argument (setNameResolverArg). The alternative, ManagedChannelBuilder
    // .nameResolverFactory(...), is deprecated and replaces the channel's whole registry; a registry
    // entry per mesh cannot work either, as the registry is keyed by scheme. The argument keeps the
    // globally registered provider and still lets two meshes in one JVM have channels side by side.
    return builder
        .setNameResolverArg(MeshNameResolverProvider.MESH_ARG, mesh)
        // The policy allows up to 10 attempts and 5 hedges; gRPC caps both at 5 unless raised here.
        .maxRetryAttempts(10)
        .maxHedgedAttempts(5)
        .intercept(interceptor(mesh, service));
  }

  /**
   * The mesh's client layers for a {@code mesh:///service} channel built by hand (for example with
   * {@code ManagedChannelBuilder.forTarget("mesh:///orders")} after {@link #registerDefault}): tracing,
   * deadline, limits, circuit breaker and fault delays, leaving fault aborts to the mesh load balancer,
   * which injects them per attempt so that the service config's retries absorb them.
   */
  public static MeshClientInterceptor interceptor(Mesh mesh, String service) {
    return new MeshClientInterceptor(mesh, service, false);
  }

  /**
   * Makes {@code mesh} the one plain {@code ManagedChannelBuilder.forTarget("mesh:///orders")} channels
   * use (channels from {@link #channelBuilder} always use their own). Such channels do not get the
   * {@link MeshClientInterceptor}; add it yourself. Channels built earlier keep the mesh they had.
   */
  public static void registerDefault(Mesh mesh) {
    defaultMesh = Objects.requireNonNull(mesh, "mesh");
  }

  /** Forgets the default mesh; plain {@code mesh:} targets then fail to build until one is registered. */
  public static void clearDefault() {
    defaultMesh = null;
  }

  /** The mesh registered with {@link #registerDefault}, or null. */
  public static Mesh defaultMesh() {
    return defaultMesh;
  }
}
