package io.mesh4j.examples.shop;

import java.util.List;

/**
 * What the live view shows at one moment, read from the running shop by {@link LiveView} and drawn by
 * {@link Frame}. Every rate is per second over the last {@link io.mesh4j.examples.shop.common.Traffic#WINDOW_NANOS}.
 *
 * @param title the demo, its clock and the step running
 * @param controlPlane the control plane's address and state
 * @param services one per service, in the order shown
 * @param load the load generator's end-to-end view
 */
record ViewState(String title, String controlPlane, List<Service> services, Load load) {
  ViewState {
    services = List.copyOf(services);
  }

  /**
   * One service as its callers' meshes see it.
   *
   * @param policy the policy revision every caller runs ({@code r12}; {@code r11,r12} while a push spreads)
   * @param breaker the callers' breaker states
   * @param retries retries the callers' meshes sent to it per second
   * @param hedges backups the callers' meshes sent to it per second
   * @param resent attempts after the first its instances served per second (retries and hedges that got through)
   */
  record Service(String name, String policy, String breaker, double retries, double hedges, double resent,
      List<Instance> instances) {
    Service {
      instances = List.copyOf(instances);
    }
  }

  /**
   * One instance, as it measured what it served.
   *
   * @param rate requests served per second
   * @param share its part of its service's requests, 0..1
   * @param errors error answers per second
   * @param ejected by how many of its callers it is ejected ({@code 1/2 (x1)}), {@code -} when by none
   */
  record Instance(String name, String version, String quirk, double rate, double share, double p50Millis,
      double p99Millis, double errors, String ejected) {}

  /**
   * The load generator: calls to order and their outcome.
   *
   * @param rate calls completed per second
   * @param failed failed calls per second
   * @param skipped ticks per second that sent nothing because every call slot was busy
   * @param totalCalls calls so far
   * @param totalFailed failed calls so far
   * @param lastFailure the last failure, or null when none
   */
  record Load(double rate, int target, double failed, double skipped, int inFlight, double p99Millis,
      long totalCalls, long totalFailed, String lastFailure) {}
}
