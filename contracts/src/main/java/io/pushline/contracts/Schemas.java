package io.pushline.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The JSON Schemas of every {@link EventType}, loaded once from the classpath, and validation
 * whose messages name field paths but never echo values. Thread-safe: networknt schemas are
 * immutable once their validators are initialised, which {@link #load} does eagerly.
 */
final class Schemas {
  /** Property names from the input are echoed in details; cut them to this length. */
  private static final int MAX_NAME_CHARS = 64;

  private static final Map<EventType, JsonSchema> SCHEMAS = load();
  private static final Map<EventType, String> IDS = ids();

  private Schemas() {
  }

  /** The parsed schema document (as JSON) of {@code type}. */
  static JsonNode document(EventType type) {
    try (InputStream in = EventType.class.getResourceAsStream(type.schemaResource())) {
      if (in == null) {
        throw new IllegalStateException("schema resource " + type.schemaResource() + " is missing from the classpath");
      }
      return Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema " + type.schemaResource(), e);
    }
  }

  /** The schema's {@code $id}. */
  static String id(EventType type) {
    return IDS.get(type);
  }

  /**
   * Violations of {@code type}'s schema by {@code data}, one per failing keyword (field: the path into the data),
   * sorted and distinct; empty when valid.
   */
  static List<Decoded.Violation> violations(EventType type, JsonNode data) {
    TreeSet<Decoded.Violation> out = new TreeSet<>(BY_TEXT);
    for (ValidationMessage m : SCHEMAS.get(type).validate(data)) {
      out.add(describe(m));
    }
    return List.copyOf(out);
  }

  private static Map<EventType, JsonSchema> load() {
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
        .formatAssertionsEnabled(true) // 2020-12 treats "format" as an annotation unless asked to assert it
        .build();
    JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    Map<EventType, JsonSchema> schemas = new EnumMap<>(EventType.class);
    for (EventType t : EventType.values()) {
      JsonSchema schema = factory.getSchema(document(t), config);
      schema.initializeValidators();
      schemas.put(t, schema);
    }
    return schemas;
  }

  private static Map<EventType, String> ids() {
    Map<EventType, String> ids = new EnumMap<>(EventType.class);
    for (EventType t : EventType.values()) {
      ids.put(t, document(t).path("$id").asText());
    }
    return ids;
  }

  private static final Comparator<Decoded.Violation> BY_TEXT =
      Comparator.comparing(Decoded.Violation::field).thenComparing(Decoded.Violation::problem);

  private static Decoded.Violation describe(ValidationMessage m) {
    String path = path(m.getInstanceLocation());
    String keyword = m.getType() == null ? "" : m.getType();
    Object[] args = m.getArguments() == null ? new Object[0] : m.getArguments();
    switch (keyword) {
      case "required":
        return new Decoded.Violation(join(path, name(m.getProperty())), "required property missing");
      case "additionalProperties":
        return new Decoded.Violation(join(path, name(m.getProperty())), "unknown property");
      case "enum":
        return new Decoded.Violation(path, "must be one of " + enumValues(m.getSchemaNode(), arg(args, 0)));
      case "pattern":
        return new Decoded.Violation(path, "must match " + arg(args, 0));
      case "format":
        return new Decoded.Violation(path, "must be a valid " + arg(args, 0));
      case "type":
        return new Decoded.Violation(path, "must be " + arg(args, 1) + " but was " + arg(args, 0));
      case "minLength":
        return new Decoded.Violation(path, "must be at least " + arg(args, 0) + " characters");
      case "maxLength":
        return new Decoded.Violation(path, "must be at most " + arg(args, 0) + " characters");
      case "propertyNames":
        return new Decoded.Violation(path, "key '" + name(String.valueOf(arg(args, 0))) + "' is not allowed");
      default:
        String problem = stripLocation(m.getMessage());
        return new Decoded.Violation(path, problem.isBlank() ? "breaks the schema's '" + keyword + "'" : problem);
    }
  }

  private static String enumValues(JsonNode schemaNode, Object fallback) {
    if (schemaNode == null || !schemaNode.isArray()) {
      return String.valueOf(fallback);
    }
    List<String> values = new ArrayList<>();
    schemaNode.forEach(v -> values.add(v.isTextual() ? v.asText() : v.toString()));
    return values.toString();
  }

  private static Object arg(Object[] args, int i) {
    return i < args.length ? args[i] : "?";
  }

  private static String path(JsonNodePath location) {
    StringBuilder b = new StringBuilder();
    if (location != null) {
      for (int i = 0; i < location.getNameCount(); i++) {
        Object e = location.getElement(i);
        if (e instanceof Integer) {
          b.append('[').append(e).append(']');
        } else {
          if (b.length() > 0) {
            b.append('.');
          }
          b.append(name(String.valueOf(e)));
        }
      }
    }
    return b.length() == 0 ? "(root)" : b.toString();
  }

  private static String join(String path, String property) {
    return "(root)".equals(path) ? property : path + "." + property;
  }

  /** A property name as shown in a violation; quoted when it is empty or blank, so that it still names something. */
  private static String name(String s) {
    String shown = Require.printable(s, MAX_NAME_CHARS);
    return shown.isBlank() ? "'" + shown + "'" : shown;
  }

  private static String stripLocation(String message) {
    if (message == null) {
      return "invalid";
    }
    int i = message.indexOf(": ");
    return i >= 0 ? message.substring(i + 2) : message;
  }
}
