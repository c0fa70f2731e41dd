package io.mesh4j.http.internal;

import io.mesh4j.ServiceRuntime;
import io.mesh4j.deadline.Deadline;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.mesh4j.time.Ticker;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Hedged requests (part of layer 5): send the attempt; if it has not answered after the hedge delay
 * (fixed, or the service's observed latency percentile), send a backup to another endpoint; the first
 * good answer wins and the others are cancelled. Idempotent requests only; every backup takes a retry
 * budget token, so hedging cannot double the load on a struggling service.
 *
 * <p>A hedged call is never worse than an unhedged one: an attempt that ends in a failure the retry
 * rules retry (a connection refused before anything was written, a status in {@code retryOn}, a reset,
 * a per-attempt timeout; {@link RetryInterceptor#retryReason}) is replaced at once by an attempt on
 * another endpoint, without waiting for the hedge delay, as long as the retry policy would still retry:
 * fewer than {@code retries.maxAttempts} attempts ended that way, a budget token is available and the
 * deadline allows (a {@code Retry-After} is waited for, unless that would pass the deadline). Backups
 * (at most {@code hedging.maxAttempts - 1}) come on top, so at most {@code hedging.maxAttempts} attempts
 * are in flight at once. When every attempt has ended and none may follow, the last answer is returned
 * marked {@value MeshHeaders#NO_RETRY} (or the last failure thrown).
 *
 * <p>One OkHttp call cannot run two exchanges at once, so each attempt of a hedged call is its own call
 * on {@code attemptClient}: the application's client with only the mesh's attempt layer (its own
 * interceptors already ran on the original call) and its own dispatcher on the same executor, so the
 * default five-requests-per-host limit does not throttle hedges. The calling thread only waits and
 * starts attempts. When the original call is cancelled (its deadline passed), the attempts are
 * cancelled too.
 */
final class Hedger {
  /** Told about each replacement of a failed attempt (a retry) and each backup (a hedge). */
  interface RetryRecorder {
    /** A failed attempt is replaced by attempt {@code nextAttempt}, as the retry layer records its retries. */
    void record(String reason, int nextAttempt);

    /** A backup, attempt {@code attempt}, is sent while earlier attempts are still in flight. */
    void hedged(int attempt);
  }

  private final OkHttpClient attemptClient;

  Hedger(OkHttpClient attemptClient) {
    this.attemptClient = attemptClient;
  }

  /** The delay before a backup: the policy's percentile of recent latency (not below its floor), or fixed. */
  static long delayNanos(HedgePolicy hedging, ServiceRuntime runtime) {
    long floor = hedging.delay().toNanos();
    if (hedging.percentile() == 0) {
      return floor;
    }
    long observed = runtime.latencyPercentileNanos(hedging.percentile());
    return Math.max(floor, observed); // until enough samples exist, the floor alone
  }

  Response call(Interceptor.Chain chain, Request request, ServiceRuntime runtime, AttemptScope scope,
      HedgePolicy hedging, ServiceRuntime.Retries retries, RetryPolicy retryPolicy, RetryRecorder recorder)
      throws IOException {
    // Every time here is the mesh's (Ticker): a test with a ManualTicker decides when a backup is due.
    Ticker ticker = runtime.ticker();
    Race race = new Race(retryPolicy, chain);
    Context context = Context.current();
    long delay = delayNanos(hedging, runtime);
    int retryAttempts = retryPolicy.enabled() ? retryPolicy.maxAttempts() : 1;
    int backupsLeft = hedging.maxAttempts() - 1;
    int retryableEnded = 0; // attempts that ended in a failure the retry rules retry
    List<Retryable> due = new ArrayList<>(2); // replacements for them, each due at its time
    int number = 0;
    try {
      start(race, request, scope, context, ++number, null);
      long nextBackup = ticker.nanoTime() + delay;
      while (true) {
        for (Retryable ended : race.takeRetryable()) {
          retryableEnded++;
          Deadline deadline = Deadline.current();
          if (retryableEnded < retryAttempts
              && (deadline == null || ended.waitNanos < deadline.remainingNanos())) {
            ended.dueAt = ticker.nanoTime() + ended.waitNanos;
            due.add(ended);
          } // else: given up on it, as the retry layer would (attempts exhausted, or the deadline)
        }
        if (race.hasWinner()) {
          break;
        }
        long now = ticker.nanoTime();
        Retryable next = null;
        for (Retryable r : due) {
          if (next == null || r.dueAt - next.dueAt < 0) {
            next = r;
          }
        }
        if (next != null && now - next.dueAt >= 0) {
          due.remove(next);
          Deadline deadline = Deadline.current();
          if ((deadline == null || !deadline.isExpired()) && retries.budget().tryWithdraw()) {
            recorder.record(next.reason, number + 1);
            start(race, request, scope, context, ++number, next.endpoint); // elsewhere than the failure
            nextBackup = now + delay; // the replacement gets the full delay before it is hedged
          } // else: no budget or no time left for it
          continue;
        }
        boolean inFlight = race.inFlight() > 0;
        if (!inFlight && next == null) {
          break; // every attempt ended and none may follow
        }
        if (inFlight && backupsLeft > 0 && now - nextBackup >= 0) {
          if (!retries.budget().tryWithdraw()) {
            backupsLeft = 0; // no budget for a backup: wait for what is in flight
            continue;
          }
          backupsLeft--;
          recorder.hedged(number + 1);
          start(race, request, scope, context, ++number, race.lastUsed());
          nextBackup = now + delay;
          continue;
        }
        long wakeAt = now + Long.MAX_VALUE / 2;
        if (next != null) {
          wakeAt = next.dueAt;
        }
        if (inFlight && backupsLeft > 0 && nextBackup - wakeAt < 0) {
          wakeAt = nextBackup;
        }
        race.await(wakeAt, ticker);
      }
      return race.result(number > 1 || retryAttempts > 1);
    } finally {
      race.cancelLosers();
    }
  }

  private void start(Race race, Request request, AttemptScope scope, Context context, int number,
      io.mesh4j.balance.EndpointStats avoid) {
    AttemptScope s = new AttemptScope();
    s.number = number;
    s.plan = scope.plan;
    s.avoid = avoid;
    s.context = context;
    Call call = attemptClient.newCall(request.newBuilder().tag(AttemptScope.class, s).build());
    race.start(call, s);
    call.enqueue(race);
  }

  /** An attempt that ended in a failure the retry rules retry: why, where, and the wait it asked for. */
  private static final class Retryable {
    final String reason;
    final io.mesh4j.balance.EndpointStats endpoint;
    final long waitNanos;
    long dueAt;

    Retryable(String reason, io.mesh4j.balance.EndpointStats endpoint, long waitNanos) {
      this.reason = reason;
      this.endpoint = endpoint;
      this.waitNanos = waitNanos;
    }
  }

  /**
   * The attempts of one hedged call and their outcomes; guarded by {@code lock}. Once the caller has
   * taken the result ({@code decided}), every answer that still arrives is closed at once: nobody will
   * read it, and an unclosed body holds its connection.
   */
  static final class Race implements Callback {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Call> calls = new ArrayList<>(2);
    private final List<AttemptScope> scopes = new ArrayList<>(2);
    private int finished;
    private Response winner;
    /** The call whose answer is handed to the caller: never cancelled, its body is still to be read. */
    private Call kept;
    private Response lastResponse;
    private Call lastCall;
    private IOException lastFailure;
    /** The result was handed out (or the race torn down): later answers are closed on arrival. */
    private boolean decided;

    void start(Call call, AttemptScope scope) {
      lock.lock();
      try {
        calls.add(call);
        scopes.add(scope);
      } finally {
        lock.unlock();
      }
    }

    io.mesh4j.balance.EndpointStats lastUsed() {
      lock.lock();
      try {
        return scopes.isEmpty() ? null : scopes.get(scopes.size() - 1).used;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void onResponse(Call call, Response response) {
      lock.lock();
      try {
        finished++;
        if (decided) {
          response.close(); // arrived after the race was decided: nobody will read it
        } else if (winner == null && isGood(response)) {
          winner = response;
          kept = call;
        } else if (winner == null) {
          if (lastResponse != null) {
            lastResponse.close();
          }
          lastResponse = response;
          lastCall = call;
          String reason = RetryInterceptor.retryReason(response, true, policy);
          if (reason != null) {
            long retryAfter = RetryInterceptor.retryAfterNanos(response);
            retryable.add(new Retryable(reason, scopeOf(call).used, Math.max(0, retryAfter)));
          }
        } else {
          response.close(); // lost the race
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void onFailure(Call call, IOException e) {
      lock.lock();
      try {
        finished++;
        if (!call.isCanceled() || lastFailure == null) {
          lastFailure = e;
        }
        if (winner == null && !call.isCanceled()) {
          AttemptScope s = scopeOf(call); // written by the attempt layer on this thread, before this callback
          String reason = RetryInterceptor.retryReason(e, s.neverSent, true, chain);
          if (reason != null) {
            retryable.add(new Retryable(reason, s.used, 0));
          }
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    private AttemptScope scopeOf(Call call) {
      return scopes.get(calls.indexOf(call));
    }

    private final RetryPolicy policy;
    /** The original call: its cancellation (the deadline, or the caller) ends the race. */
    private final Interceptor.Chain chain;
    /** Attempts that ended retryably since the caller last looked. */
    private final List<Retryable> retryable = new ArrayList<>(2);
    /** {@code finished} when the caller last looked: {@link #await} returns once it moves. */
    private int seen;

    /** @param chain the original call's chain (only its call's cancellation is read) */
    Race(RetryPolicy policy, Interceptor.Chain chain) {
      this.policy = policy;
      this.chain = chain;
    }

    /** Good: an answer the retry rules would not retry (a retryable status or 429 is not good). */
    private boolean isGood(Response r) {
      return r.code() != 429 && !policy.retriesStatus(r.code());
    }

    /** The attempts that ended retryably since the last look; marks every finish so far as seen. */
    List<Retryable> takeRetryable() {
      lock.lock();
      try {
        seen = finished;
        if (retryable.isEmpty()) {
          return List.of();
        }
        List<Retryable> taken = new ArrayList<>(retryable);
        retryable.clear();
        return taken;
      } finally {
        lock.unlock();
      }
    }

    boolean hasWinner() {
      lock.lock();
      try {
        return winner != null;
      } finally {
        lock.unlock();
      }
    }

    int inFlight() {
      lock.lock();
      try {
        return calls.size() - finished;
      } finally {
        lock.unlock();
      }
    }

    /**
     * Waits until an attempt ends that the caller has not seen (or a good answer came), or until
     * {@code wakeAt} ({@code ticker}'s time). Wakes every {@link Ticker#MAX_PARK_NANOS} of real time to
     * notice that the original call was cancelled, or that a manual ticker was moved.
     */
    void await(long wakeAt, Ticker ticker) throws IOException {
      lock.lock();
      try {
        while (winner == null && finished == seen) {
          if (chain.call().isCanceled()) {
            throw new IOException("Canceled");
          }
          long left = Math.min(Ticker.MAX_PARK_NANOS, wakeAt - ticker.nanoTime());
          if (left <= 0) {
            return;
          }
          try {
            changed.awaitNanos(left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while hedging");
          }
        }
      } finally {
        lock.unlock();
      }
    }

    /**
     * The winner; else the last answer, marked {@value MeshHeaders#NO_RETRY} when the call gave
     * something up ({@code gaveUp}: more than one attempt, or retries allowed more); else the last
     * failure.
     */
    Response result(boolean gaveUp) throws IOException {
      lock.lock();
      try {
        decided = true;
        if (winner != null) {
          Response w = winner;
          winner = null; // handed to the caller: not closed by cancelLosers
          return w;
        }
        if (lastResponse != null) {
          Response r = lastResponse;
          lastResponse = null;
          kept = lastCall;
          return gaveUp && r.header(MeshHeaders.NO_RETRY) == null
              ? r.newBuilder().header(MeshHeaders.NO_RETRY, "1").build() : r;
        }
        throw lastFailure != null ? lastFailure : new IOException("hedged call produced no answer");
      } finally {
        lock.unlock();
      }
    }

    void cancelLosers() {
      lock.lock();
      try {
        decided = true;
        for (int i = 0; i < calls.size(); i++) {
          Call c = calls.get(i);
          if (c != kept) {
            scopes.get(i).lostRace = true; // so the loser's latency still teaches the balancer
            c.cancel(); // the losers; a no-op for calls that already finished
          }
        }
        if (lastResponse != null) {
          lastResponse.close();
        }
        if (winner != null) {
          winner.close();
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
