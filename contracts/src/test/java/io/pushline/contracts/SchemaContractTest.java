package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The JSON Schemas and the records must describe the same data. */
class SchemaContractTest {

  @ParameterizedTest
  @EnumSource(EventType.class)
  void schemaHasTheRequiredShape(EventType type) {
    JsonNode schema = Schemas.document(type);
    assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(schema.path("$id").asText()).isEqualTo("https://schemas.pushline.io/v1/" + type.schemaName() + ".schema.json");
    assertThat(schema.path("title").asText()).isEqualTo(type.dataClass().getSimpleName());
    assertThat(schema.path("description").asText()).isNotBlank();
    assertThat(schema.path("type").asText()).isEqualTo("object");
    assertThat(schema.path("additionalProperties").isBoolean()).isTrue();
    assertThat(schema.path("additionalProperties").asBoolean()).isFalse();
    assertThat(schema.path("$comment").asText()).contains(type.ceType());
    schema.path("properties").forEach(p -> assertThat(p.path("description").asText()).isNotBlank());
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void schemaPropertiesAreTheRecordComponents(EventType type) {
    JsonNode schema = Schemas.document(type);
    List<String> properties = new ArrayList<>();
    schema.path("properties").fieldNames().forEachRemaining(properties::add);
    List<String> components = Arrays.stream(type.dataClass().getRecordComponents()).map(RecordComponent::getName).toList();
    assertThat(properties).containsExactlyElementsOf(components);
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void schemaRequiresExactlyTheNonNullableComponents(EventType type) {
    JsonNode schema = Schemas.document(type);
    List<String> required = StreamSupport.stream(schema.path("required").spliterator(), false).map(JsonNode::asText).toList();
    List<String> nonNullable = Arrays.stream(type.dataClass().getRecordComponents())
        .filter(c -> !c.isAnnotationPresent(Nullable.class))
        .map(RecordComponent::getName)
        .toList();
    assertThat(required).containsExactlyElementsOf(nonNullable);
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void nullableComponentsAcceptNullInTheSchema(EventType type) {
    JsonNode properties = Schemas.document(type).path("properties");
    for (RecordComponent c : type.dataClass().getRecordComponents()) {
      if (c.isAnnotationPresent(Nullable.class)) {
        List<String> types = StreamSupport.stream(properties.path(c.getName()).path("type").spliterator(), false)
            .map(JsonNode::asText).toList();
        assertThat(types).as(c.getName()).contains("null");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void everyTypeHasAValidSample(EventType type) {
    EventData sample = Samples.all().get(type);
    assertThat(sample).isNotNull();
    assertThat(sample.type()).isEqualTo(type);
    assertThat(type.dataClass()).isEqualTo(sample.getClass());
    JsonNode json = Json.MAPPER.valueToTree(sample);
    assertThat(Schemas.violations(type, json)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void theSchemaIsInTheJarUnderItsResourceName(EventType type) {
    assertThat(EventType.class.getResource(type.schemaResource())).isNotNull();
    assertThat(type.schemaResource()).isEqualTo("/schemas/v1/" + type.schemaName() + ".schema.json");
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void envelopeDocListsTypeSchemaAndKey(EventType type) throws Exception {
    String doc;
    try (var in = EventType.class.getResourceAsStream("/schemas/v1/envelope.md")) {
      assertThat(in).isNotNull();
      doc = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    String comment = Schemas.document(type).path("$comment").asText();
    String key = comment.substring(comment.indexOf("Kafka record key: ") + "Kafka record key: ".length(), comment.length() - 1);
    assertThat(doc).contains("| `" + type.ceType() + "` | [`" + type.schemaName() + ".schema.json`](" + type.schemaName()
        + ".schema.json) | `" + key + "` |");
    // the key in the schema comment is the one EventType.keyOf uses
    EventData sample = Samples.all().get(type);
    String expectedKey = (String) Arrays.stream(type.dataClass().getRecordComponents())
        .filter(c -> c.getName().equals(key)).findFirst().map(c -> {
          try {
            return c.getAccessor().invoke(sample);
          } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
          }
        }).orElseThrow();
    assertThat(type.keyOf(sample)).isEqualTo(expectedKey);
  }
}
