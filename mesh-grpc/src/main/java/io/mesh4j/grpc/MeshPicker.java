package io.mesh4j.grpc;

import static io.grpc.ConnectivityState.READY;
import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;

import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mesh4j.CallPlan;
import io.mesh4j.NoEndpointsException;
import io.mesh4j.RouteKey;
import io.mesh4j.ServiceRuntime;
import io.mesh4j.balance.EndpointStats;
import io.mesh4j.balance.PickTrace;
import io.mesh4j.grpc.MeshLoadBalancer.SubchannelEntry;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.Route;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Picks a subchannel for one attempt by asking the service's {@link ServiceRuntime} (the mesh
 * balancer, with its outlier ejection and panic mode, within the route's subset), then returns that
 * endpoint's subchannel if it is READY.
 *
 * <p>When the mesh's choice is not READY (still connecting, or its connection just failed and discovery
 * has not dropped it), the picker asks once more avoiding it, then takes any READY subchannel (in the
 * route's subset, non-ejected first). With none READY it buffers the call (no result) while any is
 * connecting, and fails it UNAVAILABLE, naming the service and the last connection error, when all have
 * failed (wait-for-ready calls keep waiting).
 *
 * <h2>Why the hot path needs no lock</h2>
 * A picker is immutable once built: the subchannel entries, and the maps from the runtime's
 * {@link EndpointStats} to them, are built in the constructor and only read afterwards (final fields:
 * safely published). Mutable state is elsewhere and made for concurrent reads: each entry's connectivity
 * state is a volatile field written on the synchronization context, and the runtime publishes its
 * balancer state through a volatile field and counts in-flight requests with atomics. A pick that reads a
 * state one change old returns a subchannel that just stopped being READY; gRPC then fails the stream
 * before anything is sent and re-picks (transparent retry), so the race costs a re-pick, never a call.
 * A pick allocates its PickResult and (when the stream starts) the stream tracer, nothing else unless a
 * route or a trace listener asks for it.
 */
final class MeshPicker extends SubchannelPicker {
  private final ServiceRuntime runtime;
  private final SubchannelEntry[] entries;
  /** The runtime's statistics objects when this picker was built, to their subchannels. */
  private final Map<EndpointStats, SubchannelEntry> byStats = new IdentityHashMap<>();
  /** The same by stats, per entry index: the tracer factory bound to the endpoint's statistics. */
  private final Map<EndpointStats, MeshStreamTracer.Factory> tracers = new IdentityHashMap<>();
  /** Fallback for statistics the runtime replaced after this picker was built (labels changed). */
  private final Map<String, SubchannelEntry> byAddress = new HashMap<>();

  MeshPicker(ServiceRuntime runtime, List<SubchannelEntry> entries) {
    this.runtime = runtime;
    this.entries = entries.toArray(new SubchannelEntry[0]);
    for (SubchannelEntry e : entries) {
      byAddress.put(e.address, e);
    }
    for (EndpointStats stats : runtime.endpoints()) {
      SubchannelEntry e = byAddress.get(stats.endpoint().address());
      if (e != null) {
        byStats.put(stats, e);
        tracers.put(stats, new MeshStreamTracer.Factory(runtime, stats));
      }
    }
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    Consumer<PickTrace> listener = args.getCallOptions().getOption(MeshCallOptions.PICK_LISTENER);
    PickTrace trace = listener == null ? null : new PickTrace();
    CallPicks picks = args.getCallOptions().getOption(MeshCallOptions.CALL_PICKS);
    CallPlan plan;
    if (picks != null) {
      plan = picks.plan; // taken and routed once for the call by the client interceptor
    } else {
      plan = runtime.plan();
      if (!plan.policy().routes().isEmpty()) {
        // No interceptor on this channel: route this pick on its own. gRPC calls are HTTP/2 POSTs to
        // /<service>/<method>: path-prefix and header routes apply as to HTTP.
        Metadata headers = args.getHeaders();
        plan = runtime.route(plan, "POST", "/" + args.getMethodDescriptor().getFullMethodName(),
            name -> header(headers, name));
      }
    }
    RouteKey route = plan.route();
    PickResult aborted = abortIfDrawn(args, plan);
    if (aborted != null) {
      return aborted;
    }
    // The endpoint the call's previous attempt went to: a retry or a hedge goes elsewhere if it can.
    EndpointStats avoid = picks == null ? null : picks.lastUsed;
    EndpointStats chosen;
    try {
      chosen = runtime.pick(route, avoid, trace);
    } catch (NoEndpointsException e) {
      // The cause marks the status as local (nothing reached the service): the client layers then
      // count it for neither the breaker nor the limits.
      return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e));
    }
    SubchannelEntry entry = ready(chosen);
    if (entry == null) {
      EndpointStats notReady = chosen;
      try {
        trace = listener == null ? null : new PickTrace(); // the trace describes the pick that is used
        chosen = runtime.pick(route, chosen, trace); // once more, avoiding the one that is not READY
        entry = ready(chosen);
      } catch (NoEndpointsException e) {
        entry = null;
      }
      if (entry != null && avoid != null && chosen == avoid && stillConnecting(notReady)) {
        // The only READY choice is the endpoint this call's previous attempt just failed on, and the
        // balancer's own choice is still connecting: wait for it (a new picker re-picks this call when its
        // state changes) rather than send the retry back to the endpoint that failed.
        return PickResult.withNoResult();
      }
      if (entry == null) {
        // Neither choice is connected: any READY one, or wait. No trace: the balancer did not choose it.
        return anyReady(route);
      }
    }
    if (listener != null) {
      listener.accept(trace);
    }
    if (picks != null) {
      picks.lastUsed = chosen;
    }
    return PickResult.withSubchannel(entry.subchannel, tracerFactory(chosen));
  }

  /**
   * Fault injection, per attempt: the policy's (or the route's) abort percentage, drawn with the mesh's
   * seedable random. An aborted attempt fails before any endpoint is chosen (so it counts against no
   * endpoint's health, as on HTTP) with the mapped status; gRPC's retry policy treats it like any
   * answer with that status, so UNAVAILABLE aborts are retried within the attempts and throttling.
   * Wait-for-ready calls are the exception: their aborts are drops, which gRPC does not retry.
   */
  private PickResult abortIfDrawn(PickSubchannelArgs args, CallPlan plan) {
    FaultPolicy faults = plan.faults(); // the route's, else the service's
    if (faults.abortPercent() <= 0 || args.getCallOptions().getOption(MeshCallOptions.ABORTS_INJECTED)
        || !ClientFaults.draw(faults.abortPercent(), runtime.random())) {
      return null;
    }
    Status status = ClientFaults.abortStatus(runtime.name(), faults.abortStatus());
    // gRPC parks a wait-for-ready call whose pick fails until the next picker, which may never come
    // (every subchannel READY): the abort would turn into the call's deadline. A drop fails it at once,
    // at the price of gRPC not retrying it.
    return args.getCallOptions().isWaitForReady() ? PickResult.withDrop(status) : PickResult.withError(status);
  }

  private SubchannelEntry ready(EndpointStats stats) {
    SubchannelEntry e = byStats.get(stats);
    if (e == null) {
      e = byAddress.get(stats.endpoint().address()); // replaced statistics, or a new endpoint
    }
    return e != null && e.state == READY ? e : null;
  }

  /** Whether the subchannel of {@code stats} is connecting (or idle, about to), not failed. */
  private boolean stillConnecting(EndpointStats stats) {
    SubchannelEntry e = byStats.get(stats);
    if (e == null) {
      e = byAddress.get(stats.endpoint().address());
    }
    return e != null && !e.failing && (e.state == io.grpc.ConnectivityState.CONNECTING
        || e.state == io.grpc.ConnectivityState.IDLE);
  }

  private MeshStreamTracer.Factory tracerFactory(EndpointStats stats) {
    MeshStreamTracer.Factory f = tracers.get(stats);
    return f != null ? f : new MeshStreamTracer.Factory(runtime, stats);
  }

  /** The slow path: any READY subchannel in the route's subset, non-ejected first, from a random start. */
  private PickResult anyReady(RouteKey route) {
    Route.Destination destination = route.destination();
    Map<String, String> labels = destination == null ? Map.of() : destination.labels();
    Map<String, EndpointStats> statsByAddress = new HashMap<>();
    for (EndpointStats s : runtime.endpoints()) {
      statsByAddress.put(s.endpoint().address(), s);
    }
    int n = entries.length;
    int start = n == 0 ? 0 : runtime.random().nextInt(n);
    SubchannelEntry fallback = null;
    boolean connecting = false;
    Status lastError = null;
    for (int i = 0; i < n; i++) {
      SubchannelEntry e = entries[(start + i) % n];
      if (!e.endpoint.labels().entrySet().containsAll(labels.entrySet())) {
        continue;
      }
      if (e.state == READY) {
        EndpointStats s = statsByAddress.get(e.address);
        if (s != null && !s.isEjected()) {
          return PickResult.withSubchannel(e.subchannel, tracerFactory(s));
        }
        if (s != null && fallback == null) {
          fallback = e;
        }
      } else if (e.state == TRANSIENT_FAILURE || e.failing) {
        lastError = e.lastError;
      } else {
        connecting = true;
      }
    }
    if (fallback != null) {
      return PickResult.withSubchannel(fallback.subchannel, tracerFactory(statsByAddress.get(fallback.address)));
    }
    if (connecting) {
      return PickResult.withNoResult(); // wait for a connection
    }
    String what = labels.isEmpty() ? "all " + n + " endpoints" : "all endpoints matching " + labels;
    Status status = Status.UNAVAILABLE.withDescription("service '" + runtime.name() + "': " + what
        + " unavailable" + (lastError == null || lastError.isOk() ? "" : " (last error: " + describe(lastError) + ")"));
    return PickResult.withError(lastError == null ? status : status.withCause(lastError.getCause()));
  }

  private static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  static String header(Metadata headers, String name) {
    if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      return null;
    }
    try {
      return headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    } catch (IllegalArgumentException e) {
      return null; // not a valid gRPC header name: cannot be present
    }
  }

  @Override
  public String toString() {
    return "MeshPicker{" + runtime.name() + ", subchannels=" + entries.length + "}";
  }
}
