package io.mesh4j.balance;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Randomness for the balancers. Production uses {@link #threadLocal()} (no shared state, no
 * contention); tests use {@link #seeded(long)} so that a run can be replayed exactly.
 */
public interface RandomSource {

  /** A uniform int in {@code [0, bound)}; {@code bound > 0}. */
  int nextInt(int bound);

  /** A uniform long in {@code [0, bound)}; {@code bound > 0}. */
  long nextLong(long bound);

  /** Backed by {@link ThreadLocalRandom}: the default. */
  static RandomSource threadLocal() {
    return ThreadLocalSource.INSTANCE;
  }

  /** Deterministic for a given seed (thread-safe; sequences interleave when shared by threads). */
  static RandomSource seeded(long seed) {
    Random random = new Random(seed);
    return new RandomSource() {
      @Override
      public int nextInt(int bound) {
        return random.nextInt(bound);
      }

      @Override
      public long nextLong(long bound) {
        return random.nextLong(bound);
      }
    };
  }

  /** The thread-local source as a singleton. */
  enum ThreadLocalSource implements RandomSource {
    INSTANCE;

    @Override
    public int nextInt(int bound) {
      return ThreadLocalRandom.current().nextInt(bound);
    }

    @Override
    public long nextLong(long bound) {
      return ThreadLocalRandom.current().nextLong(bound);
    }
  }
}
