package io.mesh4j.http.internal;

import io.mesh4j.ServiceRuntime;
import io.mesh4j.http.MeshHeaders;
import io.mesh4j.policy.HedgePolicy;
import io.mesh4j.policy.RetryPolicy;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * <p>One OkHttp call cannot run two exchanges at once, so each attempt of a hedged call is its own call
 * on {@code attemptClient}: the application's client with only the mesh's attempt layer (its own
 * interceptors already ran on the original call) and its own dispatcher on the same executor, so the
 * default five-requests-per-host limit does not throttle hedges. The calling thread only waits. When
 * the original call is cancelled (its deadline passed), the attempts are cancelled too.
 */
final class Hedger {
  static final AttributeKey<Long> HEDGE = AttributeKey.longKey("mesh.hedge");

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
      HedgePolicy hedging, ServiceRuntime.Retries retries, RetryPolicy retryPolicy) throws IOException {
    Race race = new Race(retryPolicy);
    Context context = Context.current();
    long delay = delayNanos(hedging, runtime);
    try {
      for (int attempt = 1; attempt <= hedging.maxAttempts(); attempt++) {
        if (attempt > 1) {
          if (!retries.budget().tryWithdraw()) {
            break; // no budget for a backup: wait for what is in flight
          }
          Span span = Span.current();
          if (span.isRecording()) {
            span.addEvent("mesh.hedge", Attributes.of(HEDGE, (long) attempt));
          }
        }
        AttemptScope s = new AttemptScope();
        s.number = attempt;
        s.route = scope.route;
        s.avoid = race.lastUsed();
        s.context = context;
        Call call = attemptClient.newCall(request.newBuilder().tag(AttemptScope.class, s).build());
        race.start(call, s);
        call.enqueue(race);
        if (attempt < hedging.maxAttempts() && race.awaitGood(delay, chain, retryPolicy)) {
          break;
        }
      }
      race.awaitGood(Long.MAX_VALUE, chain, retryPolicy);
      return race.result(retryPolicy);
    } finally {
      race.cancelLosers();
    }
  }

  /** The attempts of one hedged call and their outcomes; guarded by {@code lock}. */
  private static final class Race implements Callback {
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
        if (winner == null && isGood(response)) {
          winner = response;
          kept = call;
        } else if (winner == null) {
          if (lastResponse != null) {
            lastResponse.close();
          }
          lastResponse = response;
          lastCall = call;
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
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    private final RetryPolicy policy;

    Race(RetryPolicy policy) {
      this.policy = policy;
    }

    /** Good: an answer the retry rules would not retry (a retryable status or 429 is not good). */
    private boolean isGood(Response r) {
      return r.code() != 429 && !policy.retriesStatus(r.code());
    }

    /**
     * Waits up to {@code nanos} for a good answer, or for every attempt started to finish. Returns
     * whether the race is decided. Wakes every 10 ms to notice that the original call was cancelled.
     */
    boolean awaitGood(long nanos, Interceptor.Chain chain, RetryPolicy retryPolicy) throws IOException {
      long end = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + nanos;
      lock.lock();
      try {
        while (winner == null && finished < calls.size()) {
          if (chain.call().isCanceled()) {
            throw new IOException("Canceled");
          }
          long left = end == Long.MAX_VALUE ? 10_000_000L : Math.min(10_000_000L, end - System.nanoTime());
          if (left <= 0) {
            return false;
          }
          try {
            changed.awaitNanos(left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while hedging");
          }
        }
        return true;
      } finally {
        lock.unlock();
      }
    }

    Response result(RetryPolicy retryPolicy) throws IOException {
      lock.lock();
      try {
        if (winner != null) {
          Response w = winner;
          winner = null; // handed to the caller: not closed by cancelLosers
          return w;
        }
        if (lastResponse != null) {
          Response r = lastResponse;
          lastResponse = null;
          kept = lastCall;
          return r.header(MeshHeaders.NO_RETRY) == null ? r.newBuilder().header(MeshHeaders.NO_RETRY, "1").build() : r;
        }
        throw lastFailure != null ? lastFailure : new IOException("hedged call produced no answer");
      } finally {
        lock.unlock();
      }
    }

    void cancelLosers() {
      lock.lock();
      try {
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
