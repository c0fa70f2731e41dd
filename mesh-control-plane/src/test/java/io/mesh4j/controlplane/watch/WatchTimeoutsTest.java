package io.mesh4j.controlplane.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchTimeoutsTest {
  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final WatchTimeouts timeouts = new WatchTimeouts(Runnable::run, now::get);
  final List<String> ended = new ArrayList<>();

  Watch watch(String name) {
    return new Watch(List.of("s"), r -> ended.add(name + ":" + r));
  }

  void advance(long millis) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    timeouts.tick();
  }

  @Test
  void endsWatchesWhenTheirTimeComesWithinOneTick() {
    timeouts.add(watch("a"), 1_000);
    timeouts.add(watch("b"), 3_000);
    advance(990);
    assertThat(ended).isEmpty();
    advance(10 + WatchTimeouts.TICK_MILLIS);
    assertThat(ended).containsExactly("a:TIMEOUT");
    advance(2_000);
    assertThat(ended).containsExactly("a:TIMEOUT", "b:TIMEOUT");
  }

  @Test
  void aWatchThatEndedOtherwiseLeavesTheWheel() {
    Watch w = watch("a");
    timeouts.add(w, 1_000);
    w.end(Watch.Reason.CHANGED);
    advance(2_000);
    assertThat(ended).containsExactly("a:CHANGED");
  }

  @Test
  void addingToATickAlreadyProcessedEndsAtOnce() {
    advance(5_000);
    timeouts.add(watch("late"), 0);
    advance(WatchTimeouts.TICK_MILLIS);
    assertThat(ended).containsExactly("late:TIMEOUT");
  }

  @Test
  void longestDelaysStayInOneRotation() {
    timeouts.add(watch("max"), Long.MAX_VALUE);
    advance(WatchTimeouts.maxDelayMillis() - 1_000);
    assertThat(ended).isEmpty();
    advance(2_000);
    assertThat(ended).containsExactly("max:TIMEOUT");
  }
}
