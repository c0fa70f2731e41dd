package io.mesh4j.benchmarks;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.Mesh;
import io.mesh4j.discovery.Endpoint;
import io.mesh4j.discovery.StaticDiscovery;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.client.GET;
import io.mesh4j.http.client.JacksonCodec;
import io.mesh4j.http.client.MeshClient;
import io.mesh4j.http.client.MeshClients;
import io.mesh4j.http.client.Path;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an annotated client interface ({@code io.mesh4j.http.client}) adds to a call: the same GET
 * decoded into the same record, written by hand (OkHttp request + {@code ObjectReader}) in two ways and
 * through the {@link MeshClients} proxy, all on the same mesh client and the same {@code ObjectMapper}:
 * {@link #handWritten} parses its URL from a string, as most code does; {@link #handWrittenUrlBuilder}
 * builds it from a base parsed once, as the proxy does, and is the baseline the proxy is held to.
 *
 * <ul>
 *   <li>{@code transport=loopback}: {@code GET http://catalog/items/7} through the whole mesh to an
 *       in-process JDK {@code HttpServer} on 127.0.0.1 answering a 38-byte JSON object. The end-to-end
 *       figure; the difference between the two methods is small next to the ~60–100 µs of a loopback
 *       exchange on this machine, and load drift between the two trials can hide it.</li>
 *   <li>{@code transport=in-memory}: the same client, but its first application interceptor answers
 *       every call with the same JSON at once, so neither the network nor the mesh's layers run (both
 *       are the same for the two methods anyway). What is left is exactly what differs: building the
 *       request (hand-written string URL vs template expansion), the proxy's dispatch, and decoding.
 *       This is the figure the target (≤ 1 µs over the hand-written call) is read against.</li>
 * </ul>
 *
 * <p>No OpenTelemetry SDK (no-op API), as in {@code MeshOverheadBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
public class ProxyOverheadBenchmark {
  static final String SERVICE = "catalog";
  static final byte[] JSON = "{\"id\":7,\"name\":\"widget\",\"price\":1250}".getBytes(StandardCharsets.UTF_8);
  static final MediaType JSON_TYPE = MediaType.get("application/json");

  /** The answer's type. */
  public record Item(long id, String name, long price) {}

  /** The client interface of the benchmark. */
  @MeshClient(SERVICE)
  public interface CatalogClient {
    @GET("/items/{id}")
    Item item(@Path("id") long id) throws IOException;
  }

  @Param({"loopback", "in-memory"})
  public String transport;

  private HttpServer server;
  private ExecutorService serverThreads;
  private Mesh mesh;
  private OkHttpClient base;
  private OkHttpClient meshClient;
  private ObjectReader itemReader;
  private HttpUrl itemsUrl;
  private CatalogClient catalog;
  private long id = 7;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = LoopbackFixture.startServer("/items/", "application/json", JSON);
    serverThreads = (ExecutorService) server.getExecutor();

    mesh = Mesh.builder()
        .discovery(StaticDiscovery.of(SERVICE, List.of(Endpoint.of("127.0.0.1", server.getAddress().getPort()))))
        .openTelemetry(OpenTelemetry.noop())
        .build();
    OkHttpClient.Builder b = new OkHttpClient.Builder();
    if (transport.equals("in-memory")) {
      b.addInterceptor(chain -> new Response.Builder()
          .request(chain.request())
          .protocol(Protocol.HTTP_1_1)
          .code(200)
          .message("OK")
          .body(ResponseBody.create(JSON, JSON_TYPE))
          .build());
    }
    base = b.build();
    meshClient = MeshOkHttp.client(mesh, base);
    ObjectMapper mapper = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    itemReader = mapper.readerFor(Item.class);
    itemsUrl = HttpUrl.get("http://" + SERVICE + "/items/");
    catalog = MeshClients.builder(meshClient).codec(JacksonCodec.of(mapper)).build().create(CatalogClient.class);

    // Fail fast rather than measure an error path; this also opens the pooled connection.
    Item expected = new Item(7, "widget", 1250);
    if (!expected.equals(handWritten()) || !expected.equals(handWrittenUrlBuilder()) || !expected.equals(proxy())) {
      throw new IllegalStateException("unexpected answer");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  /** What an application writes without the client interface. */
  @Benchmark
  public Item handWritten() throws IOException {
    Request request = new Request.Builder().url("http://" + SERVICE + "/items/" + id).build();
    try (Response response = meshClient.newCall(request).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException("HTTP " + response.code());
      }
      return itemReader.readValue(response.body().bytes());
    }
  }

  /**
   * Hand-written at its best: the URL built from a parsed base ({@code http://catalog/items/}) instead of
   * parsed from a string on every call; the proxy builds its URLs the same way.
   */
  @Benchmark
  public Item handWrittenUrlBuilder() throws IOException {
    HttpUrl url = itemsUrl.newBuilder().addPathSegment(Long.toString(id)).build();
    try (Response response = meshClient.newCall(new Request.Builder().url(url).build()).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException("HTTP " + response.code());
      }
      return itemReader.readValue(response.body().bytes());
    }
  }

  /** The same call through the annotated interface. */
  @Benchmark
  public Item proxy() throws IOException {
    return catalog.item(id);
  }

  // ---------------------------------------------------------------------------------------------
  // Interleaved measurement (plain main, not JMH)

  @FunctionalInterface
  private interface Variant {
    Item call() throws IOException;
  }

  /**
   * The three variants measured interleaved, because on a shared machine load drift between JMH's
   * consecutive trials is larger than the difference looked for: each round times a batch of each
   * variant, in a random order, and the median of the per-round difference is reported, with the
   * calling thread's allocation per call ({@code ThreadMXBean}, this thread only).
   *
   * <pre>{@code java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.ProxyOverheadBenchmark 3000}</pre>
   */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    System.out.printf("%-10s %-22s %12s %12s %12s %14s%n", "transport", "variant", "p50 ns", "p90 ns",
        "B/call", "p50 diff ns");
    for (String transport : new String[] {"in-memory", "loopback"}) {
      ProxyOverheadBenchmark b = new ProxyOverheadBenchmark();
      b.transport = transport;
      b.setUp();
      try {
        measure(b, transport, transport.equals("in-memory") ? 200 : 4, rounds);
      } finally {
        b.tearDown();
      }
    }
  }

  private static void measure(ProxyOverheadBenchmark b, String transport, int batch, int rounds) throws IOException {
    String[] names = {"handWritten", "handWrittenUrlBuilder", "proxy"};
    Variant[] variants = {b::handWritten, b::handWrittenUrlBuilder, b::proxy};
    long sink = 0;
    for (int r = 0; r < rounds / 3; r++) { // warm-up: let the JIT settle all three
      for (Variant v : variants) {
        for (int i = 0; i < batch; i++) {
          sink += v.call().price();
        }
      }
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    double[] bytesPerCall = new double[variants.length];
    for (int v = 0; v < variants.length; v++) {
      int calls = batch * 50;
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < calls; i++) {
        sink += variants[v].call().price();
      }
      bytesPerCall[v] = (threads.getCurrentThreadAllocatedBytes() - before) / (double) calls;
    }
    long[][] nanos = new long[variants.length][rounds];
    java.util.Random random = new java.util.Random(42);
    int[] order = {0, 1, 2};
    for (int r = 0; r < rounds; r++) {
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int v : order) {
        long start = System.nanoTime();
        for (int i = 0; i < batch; i++) {
          sink += variants[v].call().price();
        }
        nanos[v][r] = (System.nanoTime() - start) / batch;
      }
    }
    long[] diff = new long[rounds];
    for (int v = 0; v < variants.length; v++) {
      String d = "";
      if (v == 2) {
        for (int r = 0; r < rounds; r++) {
          diff[r] = nanos[2][r] - nanos[1][r];
        }
        d = String.format("%+d vs urlBuilder", percentile(diff, 0.5));
      } else if (v == 1) {
        for (int r = 0; r < rounds; r++) {
          diff[r] = nanos[1][r] - nanos[0][r];
        }
        d = String.format("%+d vs handWritten", percentile(diff, 0.5));
      }
      System.out.printf("%-10s %-22s %12d %12d %12.0f %14s%n", transport, names[v], percentile(nanos[v], 0.5),
          percentile(nanos[v], 0.9), bytesPerCall[v], d);
    }
    if (sink == 42) {
      System.out.println(); // keeps the results alive
    }
  }

  private static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
  }
}
