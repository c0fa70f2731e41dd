package io.mesh4j.grpc;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.mesh4j.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;

/**
 * The {@code mesh} target scheme: {@code mesh:///orders} (or {@code mesh:orders}) names the mesh service
 * {@code orders}; its endpoints come from the mesh's discovery and its service config from the mesh
 * policy (see {@link MeshNameResolver}).
 *
 * <p>Which {@link Mesh}: the one the channel was built with by {@link MeshGrpc#channelBuilder}
 * (passed in the resolver's arguments, so two meshes in one JVM never mix), else the one registered with
 * {@link MeshGrpc#registerDefault}. Registered through {@code META-INF/services}, so a plain
 * {@code ManagedChannelBuilder.forTarget("mesh:///orders")} finds it.
 */
public final class MeshNameResolverProvider extends NameResolverProvider {
  /** The target scheme. */
  public static final String SCHEME = "mesh";

  /** The mesh a channel's resolver is bound to; set by {@link MeshGrpc#channelBuilder}. */
  static final NameResolver.Args.Key<Mesh> MESH_ARG = NameResolver.Args.Key.create("io.mesh4j.grpc.mesh");

  /** Public for {@link java.util.ServiceLoader}. */
  public MeshNameResolverProvider() {}

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String service = serviceOf(targetUri);
    Mesh mesh = args.getArg(MESH_ARG);
    if (mesh == null) {
      mesh = MeshGrpc.defaultMesh();
    }
    if (mesh == null) {
      throw new IllegalStateException("no Mesh for target '" + targetUri + "': build the channel with "
          + "MeshGrpc.channel(mesh, \"" + service + "\") or MeshGrpc.channelBuilder(mesh, \"" + service
          + "\"), or call MeshGrpc.registerDefault(mesh) before ManagedChannelBuilder.forTarget(\""
          + targetUri + "\")");
    }
    return new MeshNameResolver(mesh, service, args);
  }

  /** The service a {@code mesh:} target names. */
  static String serviceOf(URI target) {
    String service;
    if (target.isOpaque()) {
      service = target.getSchemeSpecificPart(); // mesh:orders
    } else {
      if (target.getAuthority() != null && !target.getAuthority().isEmpty()) {
        throw new IllegalArgumentException("target '" + target
            + "': an authority is not supported (expected: mesh:///<service>)");
      }
      String path = target.getPath() == null ? "" : target.getPath();
      service = path.startsWith("/") ? path.substring(1) : path;
    }
    if (service.isEmpty() || service.indexOf('/') >= 0) {
      throw new IllegalArgumentException("target '" + target + "': no service name (expected: mesh:///<service>)");
    }
    return service;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    // Below DNS (5): the registry makes the highest-priority provider's scheme the default for targets
    // without one ("host:port"), and that must stay dns. For the mesh scheme we are the only provider.
    return 4;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }
}
