package io.mesh4j.discovery;

/**
 * What a service name may be, for every part of the mesh (static discovery, the control plane, its
 * client): one DNS label in lower case — 1 to 63 letters a-z, digits and '-', starting and ending with a
 * letter or digit. Lower case because that is what OkHttp and gRPC hand the mesh as a URL's host: a
 * service registered as {@code Payments} could never be matched.
 */
public final class ServiceNames {
  /** What the error messages say was expected. */
  public static final String EXPECTED = "1..63 lowercase letters, digits and '-', starting and ending"
      + " with a letter or digit";

  private ServiceNames() {}

  /** Whether {@code name} is a valid service name. Checked by hand (no regex): it runs per watched service. */
  public static boolean isValid(String name) {
    int n = name == null ? 0 : name.length();
    if (n == 0 || n > 63) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (c != '-' || i == 0 || i == n - 1)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns {@code name} when valid.
   *
   * @throws IllegalArgumentException naming the bad name and what was expected
   */
  public static String check(String name) {
    if (!isValid(name)) {
      throw new IllegalArgumentException("service name " + (name == null ? "(none)" : "'" + name + "'")
          + " (expected: " + EXPECTED + ")");
    }
    return name;
  }

  /**
   * The service a URL host names: the host itself, or without its trailing dot ({@code orders.} is the
   * fully-qualified spelling of {@code orders}). Allocates only for a trailing dot.
   */
  public static String ofHost(String host) {
    int n = host.length();
    return n > 1 && host.charAt(n - 1) == '.' ? host.substring(0, n - 1) : host;
  }
}
