package io.mesh4j.controlplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last-known-good state on disk: {@code {"revision":N,"epoch":"…","services":{name: watch entry}}}, replaced
 * atomically (a crash leaves the old file or the new one, never half a file), so a client that starts
 * while the control plane is down serves what it had.
 */
final class StateCache {
  private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  StateCache(Path file) {
    this.file = file;
  }

  /** The cached state, or null when there is no file. */
  JsonNode load() throws IOException {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    return JSON.readTree(file.toFile());
  }

  /**
   * Replaces the file with {@code revision}, the store {@code epoch} it belongs to (null: unknown) and
   * every known service; a failure is logged, not thrown.
   */
  void save(long revision, String epoch, Map<String, KnownService> known) {
    try {
      ObjectNode root = JSON.createObjectNode();
      root.put("revision", revision);
      if (epoch != null) {
        root.put("epoch", epoch);
      }
      ObjectNode services = root.putObject("services");
      known.forEach((name, k) -> k.writeTo(services.putObject(name)));
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".mesh-cache", ".tmp");
      JSON.writeValue(tmp.toFile(), root);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "writing the control-plane cache " + file + " failed; the previous one is kept", e);
    }
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
