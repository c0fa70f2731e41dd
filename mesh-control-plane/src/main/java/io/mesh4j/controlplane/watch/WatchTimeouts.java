package io.mesh4j.controlplane.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Ends watches whose {@code wait} ran out, with a timer wheel rather than one scheduled task per watch.
 *
 * <p>Why: with 10,000 held watches, a {@code ScheduledThreadPoolExecutor} task per watch means that every
 * watch answered by a change cancels a task in one shared, locked priority queue, while every new watch
 * inserts one: the fan-out then spends its time fighting over that lock. Here a watch goes into the set of
 * the tick its timeout falls in ({@link #TICK_MILLIS} granularity, so a timeout may fire up to one tick
 * late, which for a long-poll of seconds with 10% jitter does not matter), leaving it is one concurrent
 * set removal, and one task per tick ends what is due.
 *
 * <p>The wheel spans {@link #SLOTS} ticks, more than the longest wait, so a slot only ever holds watches
 * of one tick. Race between {@link #add} and the tick task: the task publishes the tick it is about to
 * drain ({@code processed}) before draining it; {@code add} inserts, then reads {@code processed}. If the
 * task had already started on the watch's tick, the adder sees it and ends the watch itself; otherwise
 * the task's drain starts after the insert and sees it. Either way exactly one of them removes it (set
 * removal decides) and the watch ends once.
 */
public final class WatchTimeouts implements AutoCloseable {
  static final long TICK_MILLIS = 50;
  static final int SLOTS = 8_192; // 8,192 x 50 ms = 409 s, more than the longest wait plus jitter

  private final List<Set<Watch>> slots = new ArrayList<>(SLOTS);
  private final LongSupplier nanos;
  private final long start;
  private final Executor executor;
  private volatile long processed;
  private volatile ScheduledFuture<?> ticker;

  public WatchTimeouts(Executor executor, LongSupplier nanoClock) {
    this.executor = executor;
    this.nanos = nanoClock;
    this.start = nanoClock.getAsLong();
    for (int i = 0; i < SLOTS; i++) {
      slots.add(ConcurrentHashMap.newKeySet());
    }
  }

  /** The longest delay {@link #add} accepts. */
  public static long maxDelayMillis() {
    return (SLOTS - 2) * TICK_MILLIS;
  }

  /** Starts ticking on {@code scheduler}. */
  public void start(ScheduledExecutorService scheduler) {
    ticker = scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Ends {@code watch} with {@link Watch.Reason#TIMEOUT} after {@code delayMillis}, unless it ends first. */
  public void add(Watch watch, long delayMillis) {
    long delay = Math.max(0, Math.min(delayMillis, maxDelayMillis()));
    long due = (nanos.getAsLong() - start + TimeUnit.MILLISECONDS.toNanos(delay)) / TimeUnit.MILLISECONDS.toNanos(
        TICK_MILLIS) + 1;
    due = Math.max(due, processed + 1);
    Set<Watch> slot = slots.get((int) (due % SLOTS));
    slot.add(watch);
    watch.onEnd(() -> slot.remove(watch));
    if (processed >= due && slot.remove(watch)) {
      watch.end(Watch.Reason.TIMEOUT);
    }
  }

  /** Ends what is due; runs every tick. */
  void tick() {
    long now = (nanos.getAsLong() - start) / TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    List<Watch> due = new ArrayList<>();
    for (long t = processed + 1; t <= now; t++) {
      processed = t;
      Set<Watch> slot = slots.get((int) (t % SLOTS));
      for (Watch w : slot) {
        if (slot.remove(w)) {
          due.add(w);
        }
      }
    }
    if (!due.isEmpty()) {
      WatchHub.fanOut(executor, due, Watch.Reason.TIMEOUT);
    }
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = ticker;
    if (t != null) {
      t.cancel(false);
    }
  }
}
