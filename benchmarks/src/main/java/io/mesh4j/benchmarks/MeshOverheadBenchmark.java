package io.mesh4j.benchmarks;

import io.mesh4j.http.MeshOkHttp;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
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
 * What the mesh adds to one HTTP call: the same GET to the same in-process loopback server, once
 * through a bare {@link OkHttpClient} and once through {@link MeshOkHttp#client} wrapping that very
 * client (same connection pool, same dispatcher), in one JVM and one run.
 *
 * <ul>
 *   <li>{@link #bare}: {@code http://127.0.0.1:PORT/ping} through the bare client.</li>
 *   <li>{@link #mesh}: {@code http://backend/ping} through the mesh client; the mesh resolves
 *       {@code backend} to the same 127.0.0.1:PORT (static discovery, one endpoint), so the connection
 *       is the same pooled one.</li>
 *   <li>{@link #meshNoMeshHost}: {@code http://127.0.0.1:PORT/ping} through the mesh client: a host
 *       that is not a mesh service, which the mesh must pass through untouched. Its cost is the tax
 *       every non-mesh call made with a mesh client pays.</li>
 * </ul>
 *
 * <p>Each operation executes the call synchronously, reads the body fully and closes the response.
 * Targets (issue): at most 3 us added at the median and at most 1 KB extra allocation per request
 * ({@code -prof gc}, {@code gc.alloc.rate.norm}). Note that JMH 1.37's {@code gc.alloc.rate.norm}
 * counts the allocation of every thread of the JVM, so it includes the server's share of the request
 * (the same for {@code bare} and {@code meshNoMeshHost}, a little more for {@code mesh}, whose request
 * carries one more header).
 *
 * <p>No OpenTelemetry SDK is installed (no-op API), as for an application that uses neither tracing
 * nor metrics: this is the mesh's floor, not its cost with tracing on.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Threads(1)
// Nagle on the JDK server's socket adds ~40 ms per exchange (headers and body are two writes):
// set here for the forked JVM and again in LoopbackFixture, before the server classes load.
@Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
public class MeshOverheadBenchmark {
  private LoopbackFixture fixture;
  private OkHttpClient bareClient;
  private OkHttpClient meshClient;
  private Request bareRequest;
  private Request meshRequest;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    fixture = new LoopbackFixture();
    bareClient = fixture.bareClient;
    meshClient = fixture.meshClient;
    bareRequest = fixture.bareRequest;
    meshRequest = fixture.meshRequest;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    fixture.close();
  }

  /** {@code http://127.0.0.1:PORT/ping} through the bare client: the baseline. */
  @Benchmark
  public byte[] bare() throws IOException {
    return LoopbackFixture.call(bareClient, bareRequest);
  }

  /** {@code http://backend/ping} through the mesh client: the full mesh request path. */
  @Benchmark
  public byte[] mesh() throws IOException {
    return LoopbackFixture.call(meshClient, meshRequest);
  }

  /** {@code http://127.0.0.1:PORT/ping} through the mesh client: a non-mesh host, passed through. */
  @Benchmark
  public byte[] meshNoMeshHost() throws IOException {
    return LoopbackFixture.call(meshClient, bareRequest);
  }
}
