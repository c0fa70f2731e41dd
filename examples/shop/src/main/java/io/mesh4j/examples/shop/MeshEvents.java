package io.mesh4j.examples.shop;

import java.io.PrintStream;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The meshes' event logs — ejections, readmissions, breaker transitions — shown in the live view, each
 * line naming the mesh that wrote it: {@code order-1's mesh: service 'product': ejected product-1 (…)}.
 * Every mesh of the demo gets {@link #of(String)} as its event log ({@code Mesh.Builder.eventLog}; the
 * instances through a {@code MeshBuilderCustomizer} bean), so two callers ejecting the same instance
 * make two lines, each saying whose decision it was. Until the view {@link #attach attaches}, lines go to
 * the console; after it {@link #detach detaches}, nowhere.
 */
final class MeshEvents {
  private final PrintStream console;
  private volatile Consumer<String> sink;
  private volatile UnaryOperator<String> names = UnaryOperator.identity();

  MeshEvents(PrintStream console) {
    this.console = console;
  }

  /** The event log of the mesh of {@code caller} (an instance's name, or {@code load}). */
  Consumer<String> of(String caller) {
    return line -> publish(caller, line);
  }

  /** From now on, lines go to {@code sink}, with addresses turned into names by {@code names}. */
  void attach(Consumer<String> sink, UnaryOperator<String> names) {
    this.names = names;
    this.sink = sink;
  }

  /** Drops lines from now on: the view has closed, and the shop's shutdown is not news. */
  void detach() {
    this.sink = line -> { };
  }

  private void publish(String caller, String line) {
    String text = "    " + caller + "'s mesh: " + names.apply(line);
    Consumer<String> s = sink;
    if (s != null) {
      s.accept(text);
    } else {
      console.println(text);
    }
  }
}
