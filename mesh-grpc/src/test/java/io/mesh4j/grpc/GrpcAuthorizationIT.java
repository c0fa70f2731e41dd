package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.identity.WorkloadIdentity;
import io.mesh4j.policy.AuthorizationPolicy;
import io.mesh4j.policy.AuthorizationRule;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on mesh gRPC channels and the service's authorization rules on its server (issue 13): real
 * TLS 1.3 handshakes on loopback with certificates from the control plane's CA; the caller is the service
 * its certificate names; a denied call never reaches the handler (the service counts its calls).
 */
class GrpcAuthorizationIT {
  static final String UNARY = "grpc.testing.TestService/UnaryCall";
  static final AuthorizationRule ORDERS_MAY_CALL = new AuthorizationRule("orders-may-call",
      AuthorizationRule.Action.ALLOW, List.of("orders"), null, null, List.of(UNARY));

  @TempDir Path dir;
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final StaticPolicySource serverPolicies = StaticPolicySource.create();
  private final IcptFixtures.CountingService service = new IcptFixtures.CountingService(
      (request, response) -> { // the caller, as the interceptor hands it to the handler
        response.onNext(io.grpc.testing.integration.Messages.SimpleResponse.newBuilder()
            .setUsername("paid for " + MeshServerInterceptor.CALLER.get()).build());
        response.onCompleted();
      });
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private TestIdentities identities;
  private Server server;
  private Mesh serverMesh;

  @BeforeEach
  void start() throws Exception {
    identities = new TestIdentities(dir.resolve("ca"));
    OpenTelemetrySdk otel = IcptFixtures.otel(InMemorySpanExporter.create(), metrics);
    serverMesh = Mesh.builder().openTelemetry(otel).policies(serverPolicies).build();
    closeables.add(serverMesh);
    serverPolicies.put("payment", ServicePolicy.builder()
        .authorization(AuthorizationPolicy.enforce(List.of(ORDERS_MAY_CALL))).build());
    WorkloadIdentity identity = identities.identity("payment");
    // snippet:grpc-server
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            MeshGrpc.serverCredentials(identity, false)) // true: refuse callers without a certificate
        .addService(ServerInterceptors.intercept(service, new MeshServerInterceptor(serverMesh, "payment")))
        .build().start();
    // end-snippet
  }

  @AfterEach
  void stop() throws Exception {
    IcptFixtures.shutdown(server);
    for (AutoCloseable c : closeables) {
      c.close();
    }
    identities.close();
  }

  /** A mesh channel to "payment" presenting {@code caller}'s identity. */
  private TestServiceGrpc.TestServiceBlockingStub callAs(WorkloadIdentity caller, int port) {
    Mesh mesh = Mesh.builder().discovery(StaticDiscovery.of("payment", List.of(Endpoint.of("127.0.0.1", port))))
        .build();
    closeables.add(mesh);
    // snippet:grpc-channel
    ManagedChannel channel = MeshGrpc.channelBuilder(mesh, "payment", caller).build();
    // end-snippet
    closeables.add(() -> IcptFixtures.shutdown(channel));
    return TestServiceGrpc.newBlockingStub(channel);
  }

  @Test
  void theAllowedCallerIsServedAndOthersAreRefusedBeforeTheHandler() throws Exception {
    assertThat(callAs(identities.identity("orders"), server.getPort()).unaryCall(IcptFixtures.request())
        .getUsername()).isEqualTo("paid for orders");
    assertThat(service.calls).hasValue(1);

    // Another mesh service, with a valid certificate from the same CA: refused by the rules.
    assertThatThrownBy(() -> callAs(identities.identity("billing"), server.getPort())
        .unaryCall(IcptFixtures.request()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).isEqualTo("caller 'billing' may not call payment " + UNARY
              + ": no allow rule matches");
        });
    // A TLS client without a certificate (the server does not require one): a caller without an identity.
    ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort(),
            TlsChannelCredentials.newBuilder().trustManager(identities.identity("anyone").trustManagerFor("payment"))
                .build())
        .build();
    closeables.add(() -> IcptFixtures.shutdown(anonymous));
    assertThatThrownBy(() -> TestServiceGrpc.newBlockingStub(anonymous).unaryCall(IcptFixtures.request()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .startsWith("a caller without a mesh identity may not call payment " + UNARY));
    assertThat(service.calls).as("denied calls never reach the handler").hasValue(1);
    assertThat(decisions()).containsEntry("orders allowed orders-may-call", 1L)
        .containsEntry("billing denied none", 1L).containsEntry("none denied none", 1L);
  }

  @Test
  void aRuleChangeAppliesToTheNextCallAndAuditModeOnlyCounts() throws Exception {
    TestServiceGrpc.TestServiceBlockingStub billing = callAs(identities.identity("billing"), server.getPort());
    assertThatThrownBy(() -> billing.unaryCall(IcptFixtures.request())).isInstanceOf(StatusRuntimeException.class);
    serverPolicies.put("payment", ServicePolicy.builder()
        .authorization(AuthorizationPolicy.audit(List.of(ORDERS_MAY_CALL))).build());
    assertThat(billing.unaryCall(IcptFixtures.request()).getUsername()).isEqualTo("paid for billing");
    serverPolicies.put("payment", ServicePolicy.builder().authorization(AuthorizationPolicy.enforce(List.of(
        ORDERS_MAY_CALL, AuthorizationRule.allow("billing-too", List.of("bill*"))))).build());
    assertThat(billing.unaryCall(IcptFixtures.request()).getUsername()).isEqualTo("paid for billing");
    assertThat(service.calls).hasValue(2);
    assertThat(decisions()).containsEntry("billing denied none", 1L).containsEntry("billing audited none", 1L)
        .containsEntry("billing allowed billing-too", 1L);
  }

  @Test
  void aMeshChannelRefusesAServerThatIsNotTheServiceItCalls() throws Exception {
    // "payment" resolves to a server presenting billing's certificate: same CA, wrong workload.
    Server impostor = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            MeshGrpc.serverCredentials(identities.identity("billing"), false))
        .addService(service).build().start();
    closeables.add(() -> IcptFixtures.shutdown(impostor));
    assertThatThrownBy(() -> callAs(identities.identity("orders"), impostor.getPort())
        .unaryCall(IcptFixtures.request()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(causes(e)).contains("peer presented spiffe://mesh.local/service/billing (expected:"
              + " spiffe://mesh.local/service/payment)");
        });
    assertThat(service.calls).hasValue(0);
  }

  @Test
  void strictServerCredentialsRefuseACallerWithoutACertificateAtTheHandshake() throws Exception {
    Server strict = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            MeshGrpc.serverCredentials(identities.identity("payment"), true))
        .addService(ServerInterceptors.intercept(service, new MeshServerInterceptor(serverMesh, "payment")))
        .build().start();
    closeables.add(() -> IcptFixtures.shutdown(strict));
    ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", strict.getPort(),
            TlsChannelCredentials.newBuilder().trustManager(identities.identity("anyone").trustManagerFor("payment"))
                .build())
        .build();
    closeables.add(() -> IcptFixtures.shutdown(anonymous));
    assertThatThrownBy(() -> TestServiceGrpc.newBlockingStub(anonymous).unaryCall(IcptFixtures.request()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(callAs(identities.identity("orders"), strict.getPort()).unaryCall(IcptFixtures.request())
        .getUsername()).isEqualTo("paid for orders");
    assertThat(service.calls).hasValue(1);
  }

  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c).append('\n');
    }
    return b.toString();
  }

  /** mesh.server.authorizations as "caller decision rule" to count. */
  private Map<String, Long> decisions() {
    Map<String, Long> out = new TreeMap<>();
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals("mesh.server.authorizations")) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          out.put(p.getAttributes().get(AttributeKey.stringKey("mesh.caller")) + " "
              + p.getAttributes().get(AttributeKey.stringKey("mesh.decision")) + " "
              + p.getAttributes().get(AttributeKey.stringKey("mesh.rule")), p.getValue());
        }
      }
    }
    return out;
  }
}
