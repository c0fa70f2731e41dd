package io.mesh4j.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controlplane.Http;
import io.mesh4j.controlplane.TestControlPlane;
import io.mesh4j.controlplane.store.SqliteStore;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graceful stop during a stream of writes: every acknowledged write is in the store it closed. */
class ShutdownIT {
  @TempDir Path dir;

  @Test
  void writesInFlightFinishAndNothingAcknowledgedIsLost() throws Exception {
    TestControlPlane cp = TestControlPlane.start(dir);
    ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Integer> refused = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch started = new CountDownLatch(20);
    ExecutorService writers = Executors.newFixedThreadPool(4);
    for (int w = 0; w < 4; w++) {
      int writer = w;
      writers.execute(() -> {
        for (int i = 0; i < 500 && !stop.get(); i++) {
          try {
            Http.Reply r = cp.admin.put("/v1/services/svc-" + writer + "/policy", "{}");
            if (r.status() == 200) {
              acked.add(r.json().get("revision").asLong());
            } else {
              refused.add(r.status());
            }
          } catch (UncheckedIOException e) {
            refused.add(-1); // connection closed by the stopping server: not acknowledged
          }
          started.countDown();
        }
      });
    }
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    cp.close();
    stop.set(true);
    writers.shutdown();
    assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    assertThat(refused).allMatch(s -> List.of(-1, 503).contains(s));
    try (SqliteStore store = SqliteStore.open(dir)) {
      for (long rev : acked) {
        String service = null;
        for (int w = 0; w < 4 && service == null; w++) {
          if (store.historyEntry("svc-" + w, rev).isPresent()) {
            service = "svc-" + w;
          }
        }
        assertThat(service).as("acknowledged revision %d", rev).isNotNull();
      }
      assertThat(store.revision()).isGreaterThanOrEqualTo(acked.stream().mapToLong(Long::longValue).max().orElse(0));
    }
  }
}
