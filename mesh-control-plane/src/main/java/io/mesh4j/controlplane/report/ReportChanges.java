package io.mesh4j.controlplane.report;

import java.util.HashMap;
import java.util.Map;

/**
 * Turns what changed between an instance's previous report and its new one into events: a client that
 * starts reporting, a breaker that changed state (against the last state the instance reported for that
 * destination), an endpoint ejected (its ejection count went up).
 * Reports come every 10 s, so an endpoint ejected and readmitted within one interval shows once, by the
 * count; a breaker that opened and closed again within one does not show.
 */
final class ReportChanges {
  private ReportChanges() {}

  /** Events from what changed between an instance's previous report and this one. */
  static void note(EventJournal events, Report before, Report now, Map<String, String> breakers) {
    if (before == null) {
      events.add("client-joined", now.service(), who(now) + " reports to the control plane (Mesh4j " + now.version()
          + ")");
    }
    Map<String, Report.Destination> previous = new HashMap<>();
    if (before != null) {
      before.destinations().forEach(d -> previous.put(d.service(), d));
    }
    for (Report.Destination d : now.destinations()) {
      Report.Destination p = previous.get(d.service());
      // The last state this instance reported for the destination, even reports ago (a destination with
      // nothing to say is left out of a report); closed when it never said.
      String was = breakers.getOrDefault(d.service(), "closed");
      if (!d.breaker().equals(was)) {
        events.add("breaker-changed", d.service(), who(now) + ": circuit breaker of " + d.service() + " " + was
            + " -> " + d.breaker());
      }
      if (d.breaker().equals("closed")) {
        breakers.remove(d.service());
      } else {
        breakers.put(d.service(), d.breaker());
      }
      Map<String, Long> times = new HashMap<>();
      if (p != null) {
        p.endpoints().forEach(e -> times.put(e.address(), e.timesEjected()));
      }
      for (Report.EndpointTraffic e : d.endpoints()) {
        long prior = times.getOrDefault(e.address(), e.ejected() ? e.timesEjected() - 1 : e.timesEjected());
        if (e.timesEjected() > prior) {
          events.add("endpoint-ejected", d.service(), who(now) + " ejected " + d.service() + " endpoint "
              + e.address() + " (ejection #" + e.timesEjected() + ")");
        }
      }
    }
  }

  static String who(Report r) {
    return r.service() + " instance " + r.instance() + (r.address().isEmpty() ? "" : " (" + r.address() + ")");
  }
}
