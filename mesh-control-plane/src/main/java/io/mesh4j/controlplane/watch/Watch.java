package io.mesh4j.controlplane.watch;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One held long-poll: the services it watches and what to do when it ends. It ends exactly once, by the
 * first of: a change to one of its services, its timeout, the client going away, or shutdown. Whoever
 * wins {@link #end} runs the listener; the others do nothing. No thread waits for a watch: it is an
 * entry in the {@link WatchHub} plus one scheduled timeout.
 */
public final class Watch {

  /** Why a watch ended. */
  public enum Reason {
    /** A watched service changed: answer with the current state. */
    CHANGED,
    /** {@code wait} passed with no change: answer 304. */
    TIMEOUT,
    /** The client went away: there is no one to answer. */
    CANCELLED,
    /** The control plane is stopping: answer so the client reconnects elsewhere or later. */
    SHUTDOWN
  }

  private final List<String> services;
  private final Consumer<Reason> listener;
  private final AtomicBoolean ended = new AtomicBoolean();
  /** Guarded by {@code this}; null once the watch has ended and the actions ran. */
  private List<Runnable> cleanups = new java.util.ArrayList<>(2);

  public Watch(List<String> services, Consumer<Reason> listener) {
    this.services = List.copyOf(services);
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** The watched services. */
  public List<String> services() {
    return services;
  }

  /** Whether the watch has ended. */
  public boolean isEnded() {
    return ended.get();
  }

  /**
   * Adds what ending must undo (for example: cancel the timeout, leave the hub's index). Runs
   * {@code action} at once when the watch has ended already.
   */
  public void onEnd(Runnable action) {
    Objects.requireNonNull(action, "action");
    synchronized (this) {
      if (cleanups != null) {
        cleanups.add(action);
        return;
      }
    }
    action.run();
  }

  /**
   * Ends the watch for {@code reason} unless it has ended already; returns whether this call ended it.
   * The listener runs on the calling thread.
   */
  public boolean end(Reason reason) {
    if (!ended.compareAndSet(false, true)) {
      return false;
    }
    List<Runnable> actions;
    synchronized (this) {
      actions = cleanups;
      cleanups = null;
    }
    try {
      actions.forEach(Runnable::run);
    } finally {
      listener.accept(reason);
    }
    return true;
  }
}
