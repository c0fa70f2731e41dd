package io.grpc.testing.integration;

import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.Mesh;
import io.mesh4j.grpc.MeshClientInterceptor;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The standard gRPC interop cases (grpc-java's own {@link AbstractInteropTest} client code, against its
 * {@code TestServiceImpl} on a loopback Netty server) called through a mesh channel.
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
      mesh = Mesh.builder().build();
      return ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
          .intercept(new MeshClientInterceptor(mesh, "interop"))
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
    } finally {
      client.tearDown();
    }
  }
}
