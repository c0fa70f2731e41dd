package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/** The server's JSON: strict on input (no duplicate keys, no trailing garbage), compact on output. */
final class Json {
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  private Json() {}

  /**
   * Parses a request body.
   *
   * @throws Problem 400 "Malformed JSON" with the position of the syntax error
   */
  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw Problem.badRequest("Malformed JSON", "$", "empty body (expected: a JSON object)");
    }
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw Problem.badRequest("Malformed JSON", "$", "empty body (expected: a JSON object)");
      }
      return n;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw Problem.badRequest("Malformed JSON", "$", reason(e) + where + " (expected: a JSON object)");
    } catch (IOException e) {
      throw Problem.badRequest("Malformed JSON", "$", "unreadable body (expected: UTF-8 JSON)");
    }
  }

  /** Jackson's message without its source excerpt (which would echo the body back). */
  private static String reason(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      return "syntax error";
    }
    m = m.replace('\n', ' ');
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }

  static byte[] bytes(JsonNode n) {
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen: writing a JSON tree", e);
    }
  }

}
