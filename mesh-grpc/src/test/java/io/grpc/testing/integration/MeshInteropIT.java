package io.grpc.testing.integration;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The standard gRPC interop cases (grpc-java's own {@link AbstractInteropTest} client code, against its
 * {@code TestServiceImpl} on a loopback Netty server) called through a mesh channel: {@code mesh:///interop}
 * resolved by mesh discovery, picked by the mesh load balancer, with the mesh's service config and client
 * interceptor — everything {@link MeshGrpc#channelBuilder} installs.
 *
 * <p>Lives in grpc-java's package because the interop base class exposes the server's address only to
 * its package. Each case gets a fresh instance (own server, channel and recorded stats), as under JUnit 4.
 */
class MeshInteropIT {

  /** grpc-java's interop client, with the channel built by the mesh. */
  static final class ThroughMesh extends AbstractInteropTest {
    Mesh mesh;

    @Override
    protected ServerBuilder<?> getServerBuilder() {
      return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .maxInboundMessageSize(AbstractInteropTest.MAX_MESSAGE_SIZE);
    }

    @Override
    protected ManagedChannelBuilder<?> createChannelBuilder() {
      InetSocketAddress server = (InetSocketAddress) getListenAddress();
      StaticDiscovery discovery = StaticDiscovery.create();
      discovery.set("interop", List.of(Endpoint.of("127.0.0.1", server.getPort())));
      mesh = Mesh.builder().discovery(discovery).build();
      return MeshGrpc.channelBuilder(mesh, "interop").usePlaintext()
          .maxInboundMessageSize(AbstractInteropTest.MAX_MESSAGE_SIZE);
    }

    @Override
    protected boolean metricsExpected() {
      return false; // the OpenCensus stats checks need grpc-census, which the mesh does not use
    }

    @Override
    public void tearDown() {
      super.tearDown();
      if (mesh != null) {
        mesh.close();
      }
    }
  }

  /** Cases that end in cancellation or expire before reaching the balancer. */
  private static final java.util.Set<String> UNCOUNTED =
      java.util.Set.of("timeoutOnSleepingServer", "cancelAfterBegin", "cancelAfterFirstResponse");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"emptyUnary", "largeUnary", "clientStreaming", "serverStreaming", "pingPong",
      "emptyStream", "statusCodeAndMessage", "specialStatusMessage", "timeoutOnSleepingServer",
      "cancelAfterBegin", "cancelAfterFirstResponse", "customMetadata", "deadlineExceeded",
      "unimplementedMethod"})
  void interopCasePassesThroughTheMesh(String testCase) throws Exception {
    ThroughMesh client = new ThroughMesh();
    client.setUp();
    try {
      try {
        AbstractInteropTest.class.getMethod(testCase).invoke(client);
      } catch (java.lang.reflect.InvocationTargetException e) {
        if (e.getCause() instanceof Exception ex) {
          throw ex;
        }
        throw (Error) e.getCause();
      }
      // The calls went through the mesh load balancer: its endpoint statistics counted the completed ones
      // (cancelled calls and calls whose deadline expired before a pick are not counted), and every
      // attempt it started was finished (no in-flight count leaked). A cancelled attempt is closed on a
      // transport thread after the caller has its answer: "finished" is awaited, a leak still fails.
      assertThat(client.mesh.service("interop").endpoints()).singleElement().satisfies(e -> {
        if (!UNCOUNTED.contains(testCase)) {
          assertThat(e.requests()).as("requests counted by the mesh balancer").isPositive();
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(e.pending()).as("attempts still in flight").isZero());
      });
    } finally {
      client.tearDown();
    }
  }
}
