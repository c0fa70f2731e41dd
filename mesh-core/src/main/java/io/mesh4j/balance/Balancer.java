package io.mesh4j.balance;

/**
 * Picks one endpoint from a set of candidates. Implementations are called concurrently on every
 * request: they allocate nothing and take no lock.
 */
public interface Balancer {

  /**
   * Picks an endpoint.
   *
   * @param candidates non-empty
   * @param avoid      an endpoint not to pick when another exists (the one a retry just failed on), or null
   * @param trace      receives the reasons when non-null
   */
  EndpointStats pick(Candidates candidates, EndpointStats avoid, PickTrace trace);

  /** The algorithm's name as policy JSON writes it. */
  String name();
}
