package io.mesh4j.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.Mesh;
import io.mesh4j.benchmarks.grpc.ByteMethods;
import io.mesh4j.controlplane.ca.CertificateAuthority;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.grpc.MeshGrpc;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.identity.IssuedCertificate;
import io.mesh4j.identity.WorkloadIdentity;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What mutual TLS costs through the mesh (issue 13), plaintext and mTLS side by side in one run, over
 * HTTP (the mesh's OkHttp client to a Jetty server with a plaintext connector and an mTLS one requiring a
 * client certificate) and gRPC
 * (mesh channels to a Netty server, plaintext / {@code MeshGrpc.serverCredentials(identity, true)}).
 * Certificates come from the control plane's real CA (EC P-256), in process.
 *
 * <ul>
 *   <li>{@code http*} / {@code grpc*}: one call on a connection (channel) kept open: the per-request cost
 *       of encryption.</li>
 *   <li>{@code *NewConnection}: every call on a new connection (a client that keeps no idle connection),
 *       so the mTLS variant pays a handshake per call (TLS 1.3; the JDK client may resume a session, as a
 *       reconnecting client would). {@code *NewChannel}: a gRPC channel built, used once and shut down.
 *       The difference to the plaintext variant is the handshake's cost.</li>
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar MtlsOverheadBenchmark -f 1 -wi 5 -w 1s -i 10 -r 1s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@Fork(1)
public class MtlsOverheadBenchmark {
  private static final byte[] BODY = "pong".getBytes(StandardCharsets.US_ASCII);
  private static final MethodDescriptor<byte[], byte[]> ECHO = ByteMethods.unary("bench.Echo", "Echo");
  private static final byte[] PAYLOAD = new byte[64];

  private Path dir;
  private WorkloadIdentity serverIdentity;
  private WorkloadIdentity grpcServerIdentity;
  private WorkloadIdentity clientIdentity;
  private org.eclipse.jetty.server.Server jetty;
  private Server plainGrpc;
  private Server tlsGrpc;
  private Mesh mesh;
  private OkHttpClient plainClient;
  private OkHttpClient mtlsClient;
  private ManagedChannel plainChannel;
  private ManagedChannel mtlsChannel;
  private final Request plainRequest = new Request.Builder().url("http://plain/ping").build();
  private final Request mtlsRequest = new Request.Builder().url("https://payment/ping").build();
  /** Clients that keep no idle connection: every call connects (and, for mTLS, handshakes) anew. */
  private OkHttpClient plainFreshClient;
  private OkHttpClient mtlsFreshClient;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("mtls-bench");
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"), "mesh.local", Duration.ofHours(24),
        Clock.systemUTC());
    serverIdentity = identity(ca, "payment");
    grpcServerIdentity = identity(ca, "grpc-payment");
    clientIdentity = identity(ca, "orders");

    // Jetty, one server with a plaintext and an mTLS connector (the JDK's HttpsServer adds ~35 ms to every
    // new TLS connection, which would measure it rather than the handshake).
    jetty = new org.eclipse.jetty.server.Server(new org.eclipse.jetty.util.thread.QueuedThreadPool(16, 4));
    org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
    ssl.setSslContext(serverIdentity.sslContext());
    ssl.setNeedClientAuth(true);
    org.eclipse.jetty.server.ServerConnector plainConnector = new org.eclipse.jetty.server.ServerConnector(jetty);
    org.eclipse.jetty.server.ServerConnector tlsConnector = new org.eclipse.jetty.server.ServerConnector(jetty, ssl);
    for (org.eclipse.jetty.server.ServerConnector c : List.of(plainConnector, tlsConnector)) {
      c.setHost("127.0.0.1");
      c.setPort(0);
      jetty.addConnector(c);
    }
    jetty.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          org.eclipse.jetty.util.Callback callback) {
        response.setStatus(200);
        response.write(true, java.nio.ByteBuffer.wrap(BODY), callback);
        return true;
      }
    });
    jetty.start();

    ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .build();
    plainGrpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build().start();
    tlsGrpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
        MeshGrpc.serverCredentials(grpcServerIdentity, true)).addService(echo).build().start();

    StaticDiscovery discovery = StaticDiscovery.create()
        .set("plain", List.of(Endpoint.of("127.0.0.1", plainConnector.getLocalPort())))
        .set("payment", List.of(Endpoint.of("127.0.0.1", tlsConnector.getLocalPort())))
        .set("grpc-plain", List.of(Endpoint.of("127.0.0.1", plainGrpc.getPort())))
        .set("grpc-payment", List.of(Endpoint.of("127.0.0.1", tlsGrpc.getPort())));
    mesh = Mesh.builder().discovery(discovery).openTelemetry(OpenTelemetry.noop()).build();
    plainClient = MeshOkHttp.client(mesh, new OkHttpClient());
    mtlsClient = MeshOkHttp.client(mesh, new OkHttpClient(), clientIdentity);
    OkHttpClient noPool = new OkHttpClient.Builder()
        .connectionPool(new okhttp3.ConnectionPool(0, 1, TimeUnit.MILLISECONDS)).build();
    plainFreshClient = MeshOkHttp.client(mesh, noPool);
    mtlsFreshClient = MeshOkHttp.client(mesh, noPool, clientIdentity);
    plainChannel = MeshGrpc.channel(mesh, "grpc-plain");
    mtlsChannel = grpcChannelTo("grpc-payment");
    // Fail fast rather than measure an error path; this also opens the connections.
    httpPlain();
    httpMtls();
    grpcPlain();
    grpcMtls();
  }

  private ManagedChannel grpcChannelTo(String service) {
    return MeshGrpc.channelBuilder(mesh, service, clientIdentity).build();
  }

  private static WorkloadIdentity identity(CertificateAuthority ca, String service) throws IOException {
    WorkloadIdentity id = WorkloadIdentity.builder(service, (s, csr, ttl) -> {
      CertificateAuthority.Issued i = ca.issue(s, Base64.getEncoder().encodeToString(csr), ttl);
      return new IssuedCertificate(List.of(i.certificate()), i.trustBundle(), i.spiffeId());
    }).build();
    id.renew();
    return id;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    for (ManagedChannel c : new ManagedChannel[] {plainChannel, mtlsChannel}) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    plainGrpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    tlsGrpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    jetty.stop();
    mesh.close();
    serverIdentity.close();
    grpcServerIdentity.close();
    clientIdentity.close();
    plainClient.connectionPool().evictAll();
    mtlsClient.connectionPool().evictAll();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static byte[] call(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      if (r.code() != 200) {
        throw new IOException("status " + r.code() + " from " + request.url());
      }
      return r.body().bytes();
    }
  }

  @Benchmark
  public byte[] httpPlain() throws IOException {
    return call(plainClient, plainRequest);
  }

  @Benchmark
  public byte[] httpMtls() throws IOException {
    return call(mtlsClient, mtlsRequest);
  }

  @Benchmark
  public byte[] httpPlainNewConnection() throws IOException {
    return call(plainFreshClient, plainRequest);
  }

  @Benchmark
  public byte[] httpMtlsNewConnection() throws IOException {
    return call(mtlsFreshClient, mtlsRequest);
  }

  @Benchmark
  public byte[] grpcPlain() {
    return ClientCalls.blockingUnaryCall(plainChannel, ECHO, CallOptions.DEFAULT, PAYLOAD);
  }

  @Benchmark
  public byte[] grpcMtls() {
    return ClientCalls.blockingUnaryCall(mtlsChannel, ECHO, CallOptions.DEFAULT, PAYLOAD);
  }

  @Benchmark
  public byte[] grpcPlainNewChannel() throws InterruptedException {
    ManagedChannel c = MeshGrpc.channel(mesh, "grpc-plain");
    try {
      return ClientCalls.blockingUnaryCall(c, ECHO, CallOptions.DEFAULT, PAYLOAD);
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Benchmark
  public byte[] grpcMtlsNewChannel() throws InterruptedException {
    ManagedChannel c = grpcChannelTo("grpc-payment");
    try {
      return ClientCalls.blockingUnaryCall(c, ECHO, CallOptions.DEFAULT, PAYLOAD);
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
