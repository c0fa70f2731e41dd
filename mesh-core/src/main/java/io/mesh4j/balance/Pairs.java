package io.mesh4j.balance;

/**
 * Draws the two candidates of a power-of-two-choices pick without allocating: the pair is packed
 * into one long.
 */
final class Pairs {
  private Pairs() {}

  /** Two distinct indices (when n >= 2), drawn by weight, packed as {@code (a << 32) | b}. */
  static long drawPacked(Candidates c, RandomSource random) {
    int n = c.size();
    int a;
    int b;
    if (c.uniform()) {
      a = random.nextInt(n);
      b = random.nextInt(n - 1);
      if (b >= a) {
        b++;
      }
    } else {
      a = c.sample(random);
      b = c.sample(random);
      // Redraw a bounded number of times so a heavy endpoint is not compared with itself; after that,
      // take the neighbour (still distinct, slightly biased only in pathological weightings).
      for (int i = 0; i < 3 && b == a; i++) {
        b = c.sample(random);
      }
      if (b == a) {
        b = (a + 1) % n;
      }
    }
    return ((long) a << 32) | (b & 0xFFFF_FFFFL);
  }

  static int first(long packed) {
    return (int) (packed >>> 32);
  }

  static int second(long packed) {
    return (int) packed;
  }
}
