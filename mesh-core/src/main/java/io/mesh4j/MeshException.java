package io.mesh4j;

import java.io.IOException;

/**
 * Base of the failures the mesh itself produces. It extends {@link IOException} so that code written
 * against a plain HTTP client keeps its error handling. Messages name the service and the reason.
 */
public class MeshException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String service;

  public MeshException(String service, String message, Throwable cause) {
    super("service '" + service + "': " + message, cause);
    this.service = service;
  }

  public MeshException(String service, String message) {
    this(service, message, null);
  }

  /** The logical service the failed call was for. */
  public String service() {
    return service;
  }
}
