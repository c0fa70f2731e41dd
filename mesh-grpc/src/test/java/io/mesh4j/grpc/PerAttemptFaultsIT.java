package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.integration.Messages.SimpleRequest;
import io.grpc.testing.integration.TestServiceGrpc;
import io.mesh4j.Mesh;
import io.mesh4j.balance.RandomSource;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.policy.FaultPolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.policy.ServicePolicy;
import io.mesh4j.policy.StaticPolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On a mesh channel, fault aborts are injected per attempt by the mesh load balancer, below gRPC's
 * retries — so a 20% abort policy is absorbed by the service config's retries, as on HTTP.
 */
class PerAttemptFaultsIT {
  private static final SimpleRequest REQUEST = SimpleRequest.getDefaultInstance();
  private static final int CALLS = 400;

  private static ServicePolicy policy(int maxAttempts) {
    return ServicePolicy.builder()
        .faults(FaultPolicy.abort(20, 503))
        .retries(RetryPolicy.builder().maxAttempts(maxAttempts).backoff(Duration.ofMillis(1), Duration.ofMillis(2))
            .budget(50, 100, Duration.ofSeconds(10)).build())
        .build();
  }

  /** Makes CALLS calls on {@code channel}; returns how many failed, asserting each failure is the injected abort. */
  private static int failures(ManagedChannel channel) {
    var stub = TestServiceGrpc.newBlockingStub(channel);
    int failed = 0;
    for (int i = 0; i < CALLS; i++) {
      try {
        stub.unaryCall(REQUEST);
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).contains("service 'pay'", "fault injected");
        failed++;
      }
    }
    return failed;
  }

  private static Mesh mesh(GrpcBackends backends, ServicePolicy policy) {
    StaticPolicySource policies = StaticPolicySource.create();
    policies.put("pay", policy);
    return Mesh.builder().discovery(StaticDiscovery.of("pay", backends.endpoints())).policies(policies)
        .random(RandomSource.seeded(11)).openTelemetry(OpenTelemetry.noop()).eventLog(m -> { }).build();
  }

  @Test
  void abortsArePerAttemptAndRetriesAbsorbThem() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(2); Mesh mesh = mesh(backends, policy(4))) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "pay");
      try {
        // 20% per attempt, four attempts: a call fails only if all four abort (0.16%, ~0.6 of 400).
        assertThat(failures(channel)).isLessThanOrEqualTo(3);
        // Aborted attempts never reach a server: the servers saw one attempt per successful call.
        int served = backends.get(0).calls.get() + backends.get(1).calls.get();
        assertThat(served).isBetween(CALLS - 3, CALLS);
        // No endpoint was blamed for the injected aborts.
        assertThat(mesh.service("pay").endpoints()).allSatisfy(e -> assertThat(e.failures()).isZero());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withoutRetriesAboutAFifthFailAndOnlyOnce() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1); Mesh mesh = mesh(backends, policy(1))) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "pay");
      try {
        int failed = failures(channel);
        // Binomial(400, 0.2): mean 80, sd 8; 4.5 sd either side. A double injection (36%) would be ~144.
        assertThat(failed).isBetween(44, 116);
        assertThat(backends.get(0).calls.get()).isEqualTo(CALLS - failed);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aWaitForReadyCallIsFailedByAnAbortNotParkedUntilItsDeadline() throws Exception {
    ServicePolicy always = ServicePolicy.builder().faults(FaultPolicy.abort(100, 503))
        .retries(RetryPolicy.disabled()).build();
    try (GrpcBackends backends = GrpcBackends.start(1); Mesh mesh = mesh(backends, always)) {
      ManagedChannel channel = MeshGrpc.channel(mesh, "pay");
      try {
        // A pick error parks a wait-for-ready call until the next picker; with every subchannel READY
        // none comes, so an abort reported as an error would hold the call until its deadline.
        var stub = TestServiceGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(5, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
          StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
              StatusRuntimeException.class, () -> stub.unaryCall(REQUEST));
          assertThat(e).isNotNull();
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains("service 'pay'", "fault injected");
        }
        assertThat(backends.get(0).calls.get()).isZero();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void abortStatusesAPickerMayNotReportAreInjectedPerCallWithTheirMappedCode() throws Exception {
    // gRPC turns a picker's INVALID_ARGUMENT, NOT_FOUND, ABORTED, FAILED_PRECONDITION, OUT_OF_RANGE, ...
    // into INTERNAL ("inappropriate status code from control plane"); the interceptor injects those.
    for (int http : new int[] {400, 404, 409, 412, 416, 503}) {
      ServicePolicy always = ServicePolicy.builder().faults(FaultPolicy.abort(100, http))
          .retries(RetryPolicy.disabled()).build();
      try (GrpcBackends backends = GrpcBackends.start(1); Mesh mesh = mesh(backends, always)) {
        ManagedChannel channel = MeshGrpc.channel(mesh, "pay");
        try {
          StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
              StatusRuntimeException.class, () -> TestServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(5, TimeUnit.SECONDS).unaryCall(REQUEST));
          assertThat(e).as("status %s", http).isNotNull();
          assertThat(e.getStatus().getCode()).as("status %s", http).isEqualTo(ClientFaults.codeFor(http));
          assertThat(e.getStatus().getDescription()).startsWith("service 'pay': fault injected");
          assertThat(backends.get(0).calls.get()).isZero();
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void anApplicationInterceptorOnAMeshChannelInjectsPerCallAndThePickerThenNone() throws Exception {
    try (GrpcBackends backends = GrpcBackends.start(1); Mesh mesh = mesh(backends, policy(4))) {
      MeshGrpc.registerDefault(mesh);
      ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget("mesh:///pay").usePlaintext()
          .intercept(new MeshClientInterceptor(mesh, "pay")) // the public constructor: aborts once per call
          .build();
      try {
        int failed = failures(channel);
        // Per call, not retried (the abort happens above gRPC's retries) and not doubled by the picker.
        assertThat(failed).isBetween(44, 116);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        MeshGrpc.clearDefault();
      }
    }
  }
}
