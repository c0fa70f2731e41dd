package io.mesh4j.controlplane;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A control plane in a child JVM (same classpath as the tests), for kill -9 tests and benchmarks. Its
 * stderr goes to {@code <dataDir>/../cp-<n>.log}; its stdout is read for the "listening on" line.
 */
public final class ChildControlPlane implements AutoCloseable {
  private static int started;

  private final Process process;
  private final URI uri;

  private ChildControlPlane(Process process, URI uri) {
    this.process = process;
    this.uri = uri;
  }

  /** Starts a child on a free loopback port and waits (at most 60 s) until it listens. */
  public static ChildControlPlane start(Path dataDir, List<String> jvmArgs, List<String> args) throws IOException {
    return start(dataDir, jvmArgs, List.of("-cp", System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")), "io.mesh4j.controlplane.Main"), args);
  }

  /**
   * Starts a child launched by {@code launch}: {@code [-cp, CLASSPATH, io.mesh4j.controlplane.Main]} or
   * {@code [-jar, mesh-control-plane.jar]}.
   */
  public static ChildControlPlane start(Path dataDir, List<String> jvmArgs, List<String> launch, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(launch);
    cmd.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString(),
        "--admin-token", TestControlPlane.ADMIN, "--client-token", TestControlPlane.CLIENT));
    cmd.addAll(args);
    int n;
    synchronized (ChildControlPlane.class) {
      n = ++started;
    }
    Path log = dataDir.toAbsolutePath().getParent().resolve("cp-" + n + ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    CompletableFuture<URI> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          int at = line.indexOf("listening on ");
          if (at >= 0) {
            listening.complete(URI.create(line.substring(at + "listening on ".length()).trim()));
          }
        }
      } catch (IOException e) {
        // the child is gone
      }
      listening.completeExceptionally(new IllegalStateException("control plane exited before listening; see " + log));
    }, "child-cp-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ChildControlPlane(p, listening.get(60, TimeUnit.SECONDS));
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("control plane did not start; see " + log, e);
    }
  }

  public URI uri() {
    return uri;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  /** SIGKILL: no shutdown hook, no flush, no close. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the graceful stop. Returns the exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      return -1;
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
