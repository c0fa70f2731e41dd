package io.mesh4j.benchmarks;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a JFR recording of {@link AllocationProbe} looping one variant and attributes the calling
 * thread's allocation ({@code alloc}: {@code jdk.ObjectAllocationSample}, by weight) or CPU samples
 * ({@code cpu}: {@code jdk.ExecutionSample}) to the mesh's own code.
 *
 * <p>A sample counts as the mesh's when, walking its stack from the top, an {@code io.mesh4j} frame
 * comes before any OkHttp interceptor's {@code intercept} frame: so what happens inside
 * {@code chain.proceed(...)} (OkHttp's own work, also done by the bare client) is not counted, but
 * the chain hop a mesh interceptor adds ({@code RealInterceptorChain.copy}) is. Sites are keyed by the
 * innermost mesh frame (class, method, line) and the allocated class (alloc) or top frame (cpu).
 *
 * <pre>
 * java -XX:-ResizeTLAB -XX:MinTLABSize=1024 -XX:TLABSize=1024 \
 *   -XX:StartFlightRecording:filename=mesh.jfr,settings=profile,jdk.ObjectAllocationSample#throttle=1000000/s \
 *   -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.AllocationProbe 20000 mesh
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.JfrSites alloc mesh.jfr 20000 [top]
 * </pre>
 *
 * Allocation samples are statistical, and with 20 000 calls the one-time set-up (class loading, the
 * mesh's construction) shows as a few B per call: read the figures as approximate.
 */
public final class JfrSites {
  private JfrSites() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: JfrSites alloc|cpu <recording.jfr> <calls> [top]");
      System.exit(2);
    }
    boolean alloc = args[0].equals("alloc");
    String eventName = alloc ? "jdk.ObjectAllocationSample" : "jdk.ExecutionSample";
    String threadField = alloc ? "eventThread" : "sampledThread";
    double calls = Double.parseDouble(args[2]);
    int top = args.length > 3 ? Integer.parseInt(args[3]) : 40;

    Map<String, Long> perThread = new HashMap<>();
    Map<String, Long> sites = new HashMap<>();
    long mainTotal = 0;
    long meshTotal = 0;
    try (RecordingFile rf = new RecordingFile(Path.of(args[1]))) {
      while (rf.hasMoreEvents()) {
        RecordedEvent e = rf.readEvent();
        if (!e.getEventType().getName().equals(eventName)) {
          continue;
        }
        long w = alloc ? e.getLong("weight") : 1;
        RecordedThread t = e.getThread(threadField);
        String thread = t == null ? "?" : t.getJavaName();
        perThread.merge(thread, w, Long::sum);
        RecordedStackTrace st = e.getStackTrace();
        if (!"main".equals(thread) || st == null) {
          continue;
        }
        mainTotal += w;
        List<RecordedFrame> frames = st.getFrames();
        String topFrame = frames.isEmpty() ? "?" : name(frames.get(0), false);
        for (RecordedFrame f : frames) {
          String type = f.getMethod().getType().getName();
          if (type.startsWith("okhttp3.") && f.getMethod().getName().equals("intercept")) {
            break; // inside chain.proceed: OkHttp's own work
          }
          if (type.startsWith("io.mesh4j.") && !type.startsWith("io.mesh4j.benchmarks.")) {
            String what = alloc ? e.getClass("objectClass").getName() : "top " + topFrame;
            sites.merge(name(f, true) + "  " + what, w, Long::sum);
            meshTotal += w;
            break;
          }
        }
      }
    }
    String unit = alloc ? "B/call" : "samples";
    double div = alloc ? calls : 1;
    System.out.println(unit + " by thread:");
    perThread.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
        .forEach(x -> System.out.printf(Locale.ROOT, "  %10.1f  %s%n", x.getValue() / div, x.getKey()));
    System.out.printf(Locale.ROOT, "main thread: %.1f %s, of which attributed to io.mesh4j: %.1f%n", mainTotal / div, unit,
        meshTotal / div);
    sites.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(x -> System.out.printf(Locale.ROOT, "  %10.1f  %s%n", x.getValue() / div, x.getKey()));
  }

  private static String name(RecordedFrame f, boolean line) {
    String n = f.getMethod().getType().getName() + "." + f.getMethod().getName();
    return line ? n + ":" + f.getLineNumber() : n;
  }
}
