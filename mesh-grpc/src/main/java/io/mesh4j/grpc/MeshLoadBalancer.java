package io.mesh4j.grpc;

import static io.grpc.ConnectivityState.CONNECTING;
import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;
import static io.grpc.ConnectivityState.SHUTDOWN;
import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.discovery.Endpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh balancer inside a gRPC channel: one subchannel per endpoint, every one kept connected (P2C
 * needs a choice of two), and a {@link MeshPicker} that lets the service's {@link ServiceRuntime} choose
 * among them, so gRPC calls are balanced, ejected and panic-moded exactly like HTTP calls and share the
 * same endpoint statistics.
 *
 * <h2>Threads</h2>
 * Every method of this class runs on the channel's synchronization context (gRPC's contract for load
 * balancers and subchannel state listeners), so the maps here need no lock. Pickers run on any thread;
 * they get an immutable snapshot and read each subchannel's state through a volatile field (see
 * {@link MeshPicker}).
 */
final class MeshLoadBalancer extends LoadBalancer {
  private final Helper helper;
  /** By address ({@code host:port}), in discovery order. */
  private final Map<String, SubchannelEntry> entries = new LinkedHashMap<>();
  private ServiceRuntime runtime;
  private ConnectivityState reported;

  MeshLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  /** One endpoint's subchannel and what the picker needs to know about it. */
  static final class SubchannelEntry {
    final String address;
    final Subchannel subchannel;
    /** The endpoint as last resolved (labels may change without the address changing). */
    volatile Endpoint endpoint;
    /** Written on the synchronization context, read by pickers on any thread. */
    volatile ConnectivityState state = IDLE;
    /** Sticky for the aggregate state: TRANSIENT_FAILURE until READY again (not flapping via CONNECTING). */
    volatile boolean failing;
    volatile Status lastError = Status.OK;

    SubchannelEntry(String address, Subchannel subchannel, Endpoint endpoint) {
      this.address = address;
      this.subchannel = subchannel;
      this.endpoint = endpoint;
    }
  }

  @Override
  public boolean canHandleEmptyAddressListFromNameResolution() {
    return true; // an empty service is reported with the mesh's own message, naming the service
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    ServiceRuntime rt = resolved.getAttributes().get(MeshNameResolver.RUNTIME);
    if (rt == null) {
      Status error = Status.UNAVAILABLE.withDescription("load-balancing policy "
          + MeshLoadBalancerProvider.POLICY_NAME + " needs the mesh name resolver (target mesh:///<service>)");
      helper.updateBalancingState(TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(error)));
      return error;
    }
    runtime = rt;
    Map<String, EquivalentAddressGroup> wanted = new LinkedHashMap<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      Endpoint e = group.getAttributes().get(MeshGrpc.ENDPOINT);
      String address = e != null ? e.address() : group.getAddresses().get(0).toString();
      wanted.put(address, group);
    }
    // Drop subchannels of endpoints that left.
    for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (!wanted.containsKey(entry.getKey())) {
        entry.getValue().subchannel.shutdown();
        it.remove();
      }
    }
    // Keep, update or create the others, in discovery order.
    Map<String, SubchannelEntry> next = new LinkedHashMap<>();
    for (var w : wanted.entrySet()) {
      SubchannelEntry entry = entries.get(w.getKey());
      EquivalentAddressGroup group = w.getValue();
      Endpoint endpoint = group.getAttributes().get(MeshGrpc.ENDPOINT);
      if (entry == null) {
        Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
        SubchannelEntry created = new SubchannelEntry(w.getKey(), sc, endpoint);
        sc.start(info -> onSubchannelState(created, info));
        sc.requestConnection(); // connect to every endpoint up front: P2C compares them all
        entry = created;
      } else if (!entry.subchannel.getAllAddresses().equals(List.of(group))) {
        entry.subchannel.updateAddresses(List.of(group)); // same address, new labels
        entry.endpoint = endpoint;
      }
      next.put(w.getKey(), entry);
    }
    entries.clear();
    entries.putAll(next);
    updateBalancingState();
    return Status.OK;
  }

  /**
   * A failed connection attempt is a failure to reach the endpoint: it counts toward the mesh's outlier
   * ejection (ServiceRuntime.onUnreachable), as a refused connection does on HTTP. gRPC reports one
   * TRANSIENT_FAILURE per failed attempt (its reconnect backoff paces them), so an endpoint that went
   * away is ejected after the policy's consecutive failures even though picks no longer reach it.
   */
  private void countConnectFailure(SubchannelEntry entry) {
    if (runtime == null) {
      return;
    }
    for (EndpointStats stats : runtime.endpoints()) {
      if (stats.endpoint().address().equals(entry.address)) {
        runtime.onUnreachable(stats);
        return;
      }
    }
  }

  private void onSubchannelState(SubchannelEntry entry, ConnectivityStateInfo info) {
    if (entries.get(entry.address) != entry) {
      return; // removed meanwhile
    }
    ConnectivityState state = info.getState();
    if (state == SHUTDOWN) {
      return;
    }
    if (state == IDLE) {
      // The connection went away (server closed it, or idle timeout). Reconnect at once: an endpoint
      // the balancer may choose must stay connected. gRPC's reconnect backoff applies.
      entry.subchannel.requestConnection();
    }
    if (state == TRANSIENT_FAILURE) {
      entry.lastError = info.getStatus();
      entry.failing = true;
      countConnectFailure(entry);
      helper.refreshNameResolution();
    } else if (state == READY) {
      entry.failing = false;
    }
    entry.state = state;
    updateBalancingState();
  }

  /**
   * Publishes a new picker and the aggregate state: READY when any subchannel is, else CONNECTING while
   * any is trying (picks wait), else TRANSIENT_FAILURE (picks fail, wait-for-ready calls wait). A new
   * picker is published on every change, also when the aggregate state stays the same, because gRPC
   * retries buffered picks only when a picker is published.
   */
  private void updateBalancingState() {
    if (runtime == null) {
      return;
    }
    boolean ready = false;
    boolean connecting = false;
    for (SubchannelEntry e : entries.values()) {
      if (e.state == READY) {
        ready = true;
      } else if (!e.failing) {
        connecting = true; // IDLE or CONNECTING, not yet failed
      }
    }
    ConnectivityState state = ready ? READY : connecting ? CONNECTING : TRANSIENT_FAILURE;
    SubchannelPicker picker;
    if (entries.isEmpty()) {
      Status error;
      try {
        runtime.pick(null, null);
        error = Status.UNAVAILABLE.withDescription("service '" + runtime.name() + "': no endpoints resolved");
      } catch (NoEndpointsException e) {
        // "service 'orders': no endpoints known ..."; the cause tells the client layers nothing was sent.
        error = Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e);
      }
      picker = new FixedResultPicker(PickResult.withError(error));
    } else {
      picker = new MeshPicker(runtime, new ArrayList<>(entries.values()));
    }
    reported = state;
    helper.updateBalancingState(state, picker);
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (entries.isEmpty() || reported != READY) {
      // Nothing usable: fail picks with the resolver's reason. Otherwise keep serving from the
      // subchannels we have (the mesh keeps its last known endpoints when discovery is away).
      helper.updateBalancingState(TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(error)));
      reported = TRANSIENT_FAILURE;
    }
  }

  @Override
  public void requestConnection() {
    for (SubchannelEntry e : entries.values()) {
      e.subchannel.requestConnection();
    }
  }

  @Override
  public void shutdown() {
    for (SubchannelEntry e : entries.values()) {
      e.subchannel.shutdown();
    }
    entries.clear();
  }
}
