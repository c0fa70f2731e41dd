package io.mesh4j;

/** No endpoint of the service is known, so nothing could be sent. Safe to retry for any method. */
public final class NoEndpointsException extends MeshException {
  private static final long serialVersionUID = 1L;

  public NoEndpointsException(String service, String source) {
    super(service, "no endpoints known (discovery: " + source + ")");
  }

  /** No endpoint matches the labels a route selected. */
  public NoEndpointsException(String service, String source, String route, java.util.Map<String, String> labels) {
    super(service, "no endpoints match route '" + route + "' destination " + new java.util.TreeMap<>(labels)
        + " (discovery: " + source + ")");
  }
}
