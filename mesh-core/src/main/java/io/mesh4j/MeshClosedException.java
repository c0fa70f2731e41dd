package io.mesh4j;

/**
 * The call was made through a {@link Mesh} that has been closed: nothing was sent. A closed mesh no longer
 * follows discovery or policy, so it refuses calls rather than send them to a frozen endpoint list.
 */
public class MeshClosedException extends MeshException {
  private static final long serialVersionUID = 1L;

  public MeshClosedException(String service) {
    super(service, "the mesh was closed (Mesh.close()); nothing was sent", null);
  }
}
