package io.mesh4j.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mesh4j.policy.Durations;
import io.mesh4j.policy.InvalidPolicyException;
import io.mesh4j.policy.PolicyCodec;
import io.mesh4j.policy.ServicePolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the code in the documentation from rotting. Scans every Markdown file of the repository
 * (README.md, docs/, module READMEs) for marker comments and checks what follows each:
 *
 * <ul>
 *   <li>{@code <!-- snippet: path/to/Source.java#name -->} then a fenced block: the block must equal the
 *       region of the source between a line {@code // snippet:name} and the next {@code // end-snippet}
 *       ({@code #} and {@code <!--} comments work too; without {@code #name}: the whole file). Trailing
 *       whitespace, leading and trailing blank lines, the common indentation and marker lines of other
 *       regions nested inside are ignored. The sources are compiled and run by the build (tests or
 *       examples), so the documentation shows code that works.</li>
 *   <li>{@code <!-- include: path/to/Other.md#name -->}, Markdown, then {@code <!-- end-include -->}: the
 *       Markdown in between (a table, say) must equal the region of the other Markdown file between
 *       {@code <!-- region: name -->} and {@code <!-- end-region -->}. One copy of each published number,
 *       shown in two places.</li>
 *   <li>{@code <!-- policy-example -->} then a {@code json} block: {@link PolicyCodec#fromJson} accepts it.</li>
 *   <li>{@code <!-- policy-default -->} then a {@code json} block: it parses to exactly
 *       {@link ServicePolicy#DEFAULT}.</li>
 *   <li>{@code <!-- policy-invalid -->} then a {@code json} block, then (after at most a few lines of prose)
 *       a text block: the policy is refused
 *       with exactly that message (whitespace runs compared as one space, so the doc may wrap it).</li>
 *   <li>{@code <!-- policy-defaults: section -->} then a Markdown table with {@code field} and
 *       {@code default} columns: every default is the one {@link PolicyCodec#toTree} writes for
 *       {@link ServicePolicy#DEFAULT} at {@code section.field}.</li>
 * </ul>
 *
 * Every failure names the Markdown file and line, and what it was compared with.
 */
class DocsSnippetsTest {
  private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*([a-z-]+)(?::\\s*(\\S+))?\\s*-->\\s*$");
  private static final Pattern REGION_START =
      Pattern.compile("^\\s*(?://\\s*snippet:|#\\s*snippet:|<!--\\s*region:\\s*)([A-Za-z0-9._-]+)\\b.*$");
  private static final Pattern REGION_END =
      Pattern.compile("^\\s*(?://\\s*end-snippet|#\\s*end-snippet|<!--\\s*end-region)\\b.*$");
  private static final Pattern END_INCLUDE = Pattern.compile("^\\s*<!--\\s*end-include\\s*-->\\s*$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path root;
  private static List<Path> markdown;

  @BeforeAll
  static void findDocs() throws IOException {
    root = repositoryRoot();
    try (Stream<Path> files = Files.walk(root, 4)) {
      markdown = files
          .filter(p -> p.toString().endsWith(".md"))
          .filter(p -> root.relativize(p).toString().chars().noneMatch(c -> c == '\\'))
          .filter(p -> {
            for (Path part : root.relativize(p)) {
              String s = part.toString();
              if (s.equals("target") || s.equals("node_modules") || (s.startsWith(".") && s.length() > 1)) {
                return false;
              }
            }
            return true;
          })
          .sorted()
          .toList();
    }
    assertThat(markdown).as("Markdown files under " + root).contains(root.resolve("README.md"),
        root.resolve("docs/README.md"));
  }

  /** The directory holding {@code mvnw}, walking up from the working directory. */
  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no mvnw above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /**
   * The README's promise that the docs' code is compiled or run: every {@code java} block of every
   * Markdown file is a snippet of a compiled source (checked against it by {@link
   * #snippetsMatchTheirSources}), none is free-standing.
   */
  @Test
  void everyJavaBlockIsASnippetOfACompiledSource() throws IOException {
    List<String> failures = new ArrayList<>();
    int blocks = 0;
    for (Path md : markdown) {
      List<String> lines = Files.readAllLines(md, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String fence = lines.get(i).trim().toLowerCase(java.util.Locale.ROOT);
        if (!(fence.equals("```java") || fence.startsWith("```java "))) {
          continue;
        }
        blocks++;
        int prev = i - 1;
        while (prev >= 0 && lines.get(prev).isBlank()) {
          prev--;
        }
        Matcher m = prev < 0 ? null : MARKER.matcher(lines.get(prev));
        if (m == null || !m.matches() || !m.group(1).equals("snippet")) {
          failures.add(root.relativize(md) + ":" + (i + 1) + ": a java block that is not a snippet (expected: a"
              + " <!-- snippet: path/to/Source.java#name --> line before it, naming compiled code)");
        }
      }
    }
    assertThat(blocks).as("java blocks found").isGreaterThan(10);
    assertThat(failures).as("free-standing java blocks").isEmpty();
  }

  @Test
  void snippetsMatchTheirSources() throws IOException {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Path md : markdown) {
      List<String> lines = Files.readAllLines(md, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = MARKER.matcher(lines.get(i));
        if (!m.matches() || !(m.group(1).equals("snippet") || m.group(1).equals("include"))) {
          continue;
        }
        String where = root.relativize(md) + ":" + (i + 1);
        String ref = m.group(2);
        if (ref == null) {
          failures.add(where + ": " + m.group(1) + " marker without a source (expected: <!-- "
              + m.group(1) + ": path#name -->)");
          continue;
        }
        Block block = m.group(1).equals("include") ? included(lines, i) : blockAfter(lines, i);
        if (block == null) {
          failures.add(where + ": " + m.group(1) + " " + ref + (m.group(1).equals("include")
              ? " has no <!-- end-include --> line" : " is not followed by a fenced code block"));
          continue;
        }
        String expected;
        try {
          expected = region(ref);
        } catch (IllegalArgumentException e) {
          failures.add(where + ": snippet " + ref + ": " + e.getMessage());
          continue;
        }
        String actual = normalize(block.lines());
        checked++;
        if (!actual.equals(expected)) {
          failures.add(where + ": the code block differs from snippet " + ref + " (update the block from the source)"
              + "\n--- in the doc:\n" + actual + "\n--- in " + ref + ":\n" + expected + "\n---");
        }
      }
    }
    assertThat(failures).as(String.join("\n\n", failures)).isEmpty();
    assertThat(checked).as("snippets checked (a lower count means the scanner broke)").isGreaterThanOrEqualTo(5);
    System.out.println("DocsSnippetsTest: " + checked + " snippets match their sources");
  }

  @Test
  void policyExamplesParse() throws IOException {
    List<String> failures = new ArrayList<>();
    int[] counts = new int[4];
    for (Path md : markdown) {
      List<String> lines = Files.readAllLines(md, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = MARKER.matcher(lines.get(i));
        if (!m.matches() || !m.group(1).startsWith("policy-")) {
          continue;
        }
        String where = root.relativize(md) + ":" + (i + 1);
        String kind = m.group(1);
        if (kind.equals("policy-defaults")) {
          counts[3] += checkDefaultsTable(lines, i, m.group(2), where, failures);
          continue;
        }
        Block block = blockAfter(lines, i);
        if (block == null || !block.language().equals("json")) {
          failures.add(where + ": " + kind + " is not followed by a ```json block");
          continue;
        }
        String json = String.join("\n", block.lines());
        switch (kind) {
          case "policy-example" -> {
            counts[0]++;
            try {
              PolicyCodec.fromJson(json);
            } catch (InvalidPolicyException e) {
              failures.add(where + ": policy example refused by PolicyCodec: " + e.getMessage());
            }
          }
          case "policy-default" -> {
            counts[1]++;
            try {
              ServicePolicy p = PolicyCodec.fromJson(json);
              if (!p.equals(ServicePolicy.DEFAULT)) {
                failures.add(where + ": this is not ServicePolicy.DEFAULT; PolicyCodec.toJson(DEFAULT) is\n"
                    + PolicyCodec.toJson(ServicePolicy.DEFAULT));
              }
            } catch (InvalidPolicyException e) {
              failures.add(where + ": default policy refused by PolicyCodec: " + e.getMessage());
            }
          }
          case "policy-invalid" -> {
            counts[2]++;
            Block message = nextBlock(lines, block.end());
            String expected = message == null ? null : String.join(" ", message.lines()).replaceAll("\\s+", " ").trim();
            try {
              PolicyCodec.fromJson(json);
              failures.add(where + ": this policy is accepted by PolicyCodec, but the doc says it is invalid");
            } catch (InvalidPolicyException e) {
              String actual = e.getMessage().replaceAll("\\s+", " ").trim();
              if (message == null) {
                failures.add(where + ": policy-invalid needs a second block with the message: " + actual);
              } else if (!actual.equals(expected)) {
                failures.add(where + ": the message differs\n--- in the doc:\n" + expected + "\n--- PolicyCodec:\n"
                    + actual);
              }
            }
          }
          default -> failures.add(where + ": unknown marker " + kind);
        }
      }
    }
    assertThat(failures).as(String.join("\n\n", failures)).isEmpty();
    assertThat(counts[0]).as("policy examples checked").isGreaterThanOrEqualTo(5);
    assertThat(counts[3]).as("policy default values checked").isGreaterThanOrEqualTo(30);
    System.out.println("DocsSnippetsTest: " + counts[0] + " policy examples parse, " + counts[1]
        + " default policies and " + counts[2] + " invalid policies as documented, " + counts[3]
        + " documented defaults match ServicePolicy.DEFAULT");
  }

  /** Checks the table after line {@code at}; returns how many defaults it compared. */
  private static int checkDefaultsTable(List<String> lines, int at, String section, String where,
      List<String> failures) {
    if (section == null) {
      failures.add(where + ": policy-defaults needs a section (<!-- policy-defaults: retries -->)");
      return 0;
    }
    int i = at + 1;
    while (i < lines.size() && lines.get(i).isBlank()) {
      i++;
    }
    if (i >= lines.size() || !lines.get(i).trim().startsWith("|")) {
      failures.add(where + ": policy-defaults is not followed by a table");
      return 0;
    }
    List<String> header = cells(lines.get(i));
    int fieldCol = header.indexOf("field");
    int defaultCol = header.indexOf("default");
    if (fieldCol < 0 || defaultCol < 0) {
      failures.add(where + ": the table needs 'field' and 'default' columns, has " + header);
      return 0;
    }
    JsonNode defaults = PolicyCodec.toTree(ServicePolicy.DEFAULT).path(section);
    int n = 0;
    for (i += 2; i < lines.size() && lines.get(i).trim().startsWith("|"); i++) {
      List<String> row = cells(lines.get(i));
      String field = row.get(fieldCol).replace("`", "");
      String documented = row.get(defaultCol);
      JsonNode actual = defaults;
      for (String part : field.split("\\.")) {
        actual = actual.path(part);
      }
      String rowWhere = where.substring(0, where.lastIndexOf(':') + 1) + (i + 1);
      n++;
      if (!sameDefault(documented, actual)) {
        failures.add(rowWhere + ": default of " + section + "." + field + " is documented as " + documented
            + ", but ServicePolicy.DEFAULT has " + (actual.isMissingNode() ? "none" : actual.toString()));
      }
    }
    return n;
  }

  /** {@code `10s`} vs "10s", {@code `50`} vs 50, {@code `[502, 503, 504]`}, "none" vs a missing field. */
  private static boolean sameDefault(String documented, JsonNode actual) {
    Matcher code = Pattern.compile("`([^`]*)`").matcher(documented);
    if (!code.find()) {
      return actual.isMissingNode() && documented.startsWith("none");
    }
    String text = code.group(1).trim();
    if (actual.isMissingNode()) {
      return false;
    }
    if (actual.isTextual()) {
      String a = actual.asText();
      if (a.equals(text)) {
        return true;
      }
      try {
        return Durations.parse(a).equals(Durations.parse(text));
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    if (actual.isNumber()) {
      try {
        return Double.parseDouble(text) == actual.doubleValue();
      } catch (NumberFormatException e) {
        return false;
      }
    }
    try {
      return JSON.readTree(text).equals(actual);
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> cells(String row) {
    String t = row.trim();
    t = t.substring(1, t.endsWith("|") ? t.length() - 1 : t.length());
    List<String> out = new ArrayList<>();
    for (String c : t.split("(?<!\\\\)\\|", -1)) {
      out.add(c.trim());
    }
    return out;
  }

  private record Block(String language, List<String> lines, int end) {}

  /** The fenced block whose opening fence is the next non-blank line after {@code at}, or null. */
  private static Block blockAfter(List<String> lines, int at) {
    int i = at + 1;
    while (i < lines.size() && lines.get(i).isBlank()) {
      i++;
    }
    if (i >= lines.size() || !lines.get(i).trim().startsWith("```")) {
      return null;
    }
    String language = lines.get(i).trim().substring(3).trim();
    List<String> body = new ArrayList<>();
    for (int j = i + 1; j < lines.size(); j++) {
      if (lines.get(j).trim().equals("```")) {
        return new Block(language, body, j);
      }
      body.add(lines.get(j));
    }
    return null;
  }

  /** The Markdown between an include marker at {@code at} and its end-include line, or null. */
  private static Block included(List<String> lines, int at) {
    List<String> body = new ArrayList<>();
    for (int j = at + 1; j < lines.size(); j++) {
      if (END_INCLUDE.matcher(lines.get(j)).matches()) {
        return new Block("markdown", body, j);
      }
      body.add(lines.get(j));
    }
    return null;
  }

  /** The next fenced block within a few lines of prose after {@code at}, or null. */
  private static Block nextBlock(List<String> lines, int at) {
    for (int i = at + 1; i < lines.size() && i <= at + 6; i++) {
      if (lines.get(i).trim().startsWith("```")) {
        return blockAfter(lines, i - 1);
      }
      if (MARKER.matcher(lines.get(i)).matches()) {
        return null;
      }
    }
    return null;
  }

  /** The normalized text of {@code path#name} (or the whole file). */
  private static String region(String ref) throws IOException {
    int hash = ref.indexOf('#');
    String path = hash < 0 ? ref : ref.substring(0, hash);
    String name = hash < 0 ? null : ref.substring(hash + 1);
    Path file = root.resolve(path).normalize();
    if (!file.startsWith(root) || !Files.isRegularFile(file)) {
      throw new IllegalArgumentException("source " + path + " not found (relative to " + root + ")");
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (name == null) {
      return normalize(lines);
    }
    List<String> out = null;
    for (String line : lines) {
      Matcher start = REGION_START.matcher(line);
      if (out == null) {
        if (start.matches() && start.group(1).equals(name)) {
          out = new ArrayList<>();
        }
        continue;
      }
      if (REGION_END.matcher(line).matches()) {
        return normalize(out);
      }
      if (!start.matches()) {
        out.add(line);
      }
    }
    throw new IllegalArgumentException(out == null ? "no line '// snippet:" + name + "' (or '<!-- region: " + name
        + " -->') in " + path : "region " + name + " in " + path + " has no end line");
  }

  /** Trailing whitespace, surrounding blank lines and the common indentation removed. */
  static String normalize(List<String> lines) {
    List<String> l = new ArrayList<>();
    for (String s : lines) {
      l.add(s.stripTrailing());
    }
    while (!l.isEmpty() && l.get(0).isEmpty()) {
      l.remove(0);
    }
    while (!l.isEmpty() && l.get(l.size() - 1).isEmpty()) {
      l.remove(l.size() - 1);
    }
    int indent = Integer.MAX_VALUE;
    for (String s : l) {
      if (!s.isEmpty()) {
        indent = Math.min(indent, s.length() - s.stripLeading().length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String s : l) {
      sb.append(s.isEmpty() ? "" : s.substring(indent)).append('\n');
    }
    return sb.toString();
  }
}
