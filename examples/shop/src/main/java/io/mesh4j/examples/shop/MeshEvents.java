package io.mesh4j.examples.shop;

import io.mesh4j.Mesh;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The mesh's event log — ejections, readmissions, breaker transitions — shown in the live view. A
 * {@code Mesh} writes these lines to the {@code java.util.logging} logger {@code io.mesh4j.Mesh} at INFO
 * unless given its own {@code eventLog}; the starter builds the meshes here, so this handler listens on
 * that logger (for every mesh in the JVM) and hands each line on, with addresses turned into instance
 * names. They do not reach the console as well: the view shows them.
 */
final class MeshEvents extends Handler implements AutoCloseable {
  private static final Logger LOGGER = Logger.getLogger(Mesh.class.getName());

  private final Consumer<String> sink;
  private final UnaryOperator<String> names;
  private final boolean parentHandlers;
  private final Level level;

  private MeshEvents(Consumer<String> sink, UnaryOperator<String> names) {
    this.sink = sink;
    this.names = names;
    this.parentHandlers = LOGGER.getUseParentHandlers();
    this.level = LOGGER.getLevel();
  }

  static MeshEvents install(Consumer<String> sink, UnaryOperator<String> names) {
    MeshEvents events = new MeshEvents(sink, names);
    LOGGER.setLevel(Level.INFO);
    LOGGER.setUseParentHandlers(false);
    LOGGER.addHandler(events);
    return events;
  }

  @Override
  public void publish(LogRecord record) {
    if (record.getLevel().intValue() >= Level.INFO.intValue() && record.getMessage() != null) {
      sink.accept(names.apply(record.getMessage()));
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    LOGGER.removeHandler(this);
    LOGGER.setUseParentHandlers(parentHandlers);
    LOGGER.setLevel(level);
  }
}
