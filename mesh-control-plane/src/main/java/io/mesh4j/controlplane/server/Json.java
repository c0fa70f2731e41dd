package io.mesh4j.controlplane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.mesh4j.internal.JsonText;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The server's JSON: strict on input (no duplicate keys, no trailing garbage), compact on output. */
final class Json {
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  private Json() {}

  /**
   * Parses a request body: UTF-8 JSON (no byte order mark, no other encoding), and in every string and
   * field name no control character and no unpaired surrogate ({@link JsonText}), so that what is stored
   * and served back is text every client can read.
   *
   * @throws Problem 400 "Malformed JSON" with the position of the syntax error, or "Invalid text" listing
   *     the fields whose text was refused
   */
  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw Problem.badRequest("Malformed JSON", "$", "empty body (expected: a JSON object)");
    }
    String text = utf8(body);
    try {
      JsonNode n = MAPPER.readTree(text);
      if (n == null || n.isMissingNode()) {
        throw Problem.badRequest("Malformed JSON", "$", "empty body (expected: a JSON object)");
      }
      List<Problem.Violation> bad = new ArrayList<>();
      JsonText.check(n, true, (path, problem) -> bad.add(new Problem.Violation(path, problem)));
      if (!bad.isEmpty()) {
        throw Problem.badRequest("Invalid text", bad);
      }
      return n;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw Problem.badRequest("Malformed JSON", "$", reason(e) + where + " (expected: a JSON object)");
    }
  }

  /** The body as UTF-8, strictly: a BOM, UTF-16 or UTF-32 (which Jackson would detect and accept) is refused. */
  private static String utf8(byte[] body) {
    if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf) {
      throw Problem.badRequest("Malformed JSON", "$", "the body starts with a UTF-8 byte order mark (expected:"
          + " UTF-8 JSON without a BOM)");
    }
    try {
      String s = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
      // UTF-16 or UTF-32 without a BOM decodes as UTF-8 with NULs between the characters.
      if (s.indexOf(0) >= 0) {
        throw Problem.badRequest("Malformed JSON", "$", "a NUL byte (expected: UTF-8 JSON; UTF-16 and UTF-32 are"
            + " not accepted, and a NUL inside a string is written \\u0000 and refused anyway)");
      }
      return s;
    } catch (CharacterCodingException e) {
      throw Problem.badRequest("Malformed JSON", "$", "bytes that are not UTF-8 (expected: UTF-8 JSON; UTF-16 and"
          + " UTF-32 are not accepted)");
    }
  }

  /**
   * Jackson's message without its source excerpt (which would echo the body back) and without the names of
   * its own settings ("from `StreamReadConstraints.getMaxNestingDepth()`"), which mean nothing to a client.
   */
  private static String reason(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      return "syntax error";
    }
    m = m.replace('\n', ' ').replaceAll(",? ?from `[^`]*`", "");
    return JsonText.shortened(m);
  }

  static byte[] bytes(JsonNode n) {
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen: writing a JSON tree", e);
    }
  }

}
