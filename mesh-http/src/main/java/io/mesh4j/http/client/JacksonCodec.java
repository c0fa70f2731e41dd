package io.mesh4j.http.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * JSON through a Jackson 2 {@link ObjectMapper}: the application's, so that its modules, naming and
 * date settings apply to the mesh clients too. The readers and writers of each declared type are made
 * once and kept.
 */
public final class JacksonCodec implements BodyCodec {
  private final ObjectMapper mapper;
  private final ConcurrentMap<Type, ObjectReader> readers = new ConcurrentHashMap<>();
  private final ConcurrentMap<Type, ObjectWriter> writers = new ConcurrentHashMap<>();

  private JacksonCodec(ObjectMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /** A codec on the application's mapper (used as it is configured; not modified). */
  public static JacksonCodec of(ObjectMapper mapper) {
    return new JacksonCodec(mapper);
  }

  /**
   * A codec on a plain {@code new ObjectMapper()} that ignores unknown properties, so that a service
   * adding a field to its answers does not break its clients (a tolerant reader).
   */
  public static JacksonCodec standard() {
    return new JacksonCodec(new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
  }

  /** The mapper this codec uses. */
  public ObjectMapper mapper() {
    return mapper;
  }

  @Override
  public String contentType() {
    return "application/json";
  }

  @Override
  public byte[] encode(Object value, Type type) throws IOException {
    ObjectWriter writer = writers.get(type);
    if (writer == null) {
      // Declared Object: Jackson then serializes by the value's runtime type.
      writer = writers.computeIfAbsent(type, t -> mapper.writerFor(mapper.constructType(t)));
    }
    return writer.writeValueAsBytes(value);
  }

  @Override
  public Object decode(byte[] body, Type type) throws IOException {
    ObjectReader reader = readers.get(type);
    if (reader == null) {
      reader = readers.computeIfAbsent(type, t -> mapper.readerFor(mapper.constructType(t)));
    }
    return reader.readValue(body);
  }

  @Override
  public String toString() {
    return "JacksonCodec[" + mapper.getClass().getName() + "]";
  }
}
