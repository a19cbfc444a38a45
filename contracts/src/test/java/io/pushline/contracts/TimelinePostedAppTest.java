package io.pushline.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A post's optional app (the tenant whose share of the bulk lane it takes): the record and the schema agree. */
class TimelinePostedAppTest {
    @Test
    void aPostWithoutAnAppIsWrittenAsBeforeAndReadsBackAsTheDefaultApp() throws Exception {
        TimelinePosted post = new TimelinePosted("p", "a", "t", "b");
        JsonNode json = Json.MAPPER.valueToTree(post);
        assertThat(json.has("appId")).as("absent, not null: events of the version before are byte for byte the same").isFalse();
        assertThat(Schemas.violations(EventType.TIMELINE_POSTED, json)).isEmpty();
        assertThat(Json.MAPPER.treeToValue(json, TimelinePosted.class).appId()).isNull();

        TimelinePosted ofApp = new TimelinePosted("p", "a", "t", "b", "news.example");
        JsonNode withApp = Json.MAPPER.valueToTree(ofApp);
        assertThat(withApp.get("appId").asText()).isEqualTo("news.example");
        assertThat(Schemas.violations(EventType.TIMELINE_POSTED, withApp)).isEmpty();
        assertThat(Json.MAPPER.treeToValue(withApp, TimelinePosted.class)).isEqualTo(ofApp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "slash/app", "ünïcode"})
    void anAppIdTheSchemaRefusesTheRecordRefusesToo(String appId) {
        ObjectNode json = (ObjectNode) Json.MAPPER.valueToTree(new TimelinePosted("p", "a", "t", "b"));
        json.put("appId", appId);
        assertThat(Schemas.violations(EventType.TIMELINE_POSTED, json)).isNotEmpty();
        assertThatThrownBy(() -> new TimelinePosted("p", "a", "t", "b", appId)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TimelinePosted.appId");
        assertThatThrownBy(() -> new TimelinePosted("p", "a", "t", "b", "x".repeat(129))).isInstanceOf(IllegalArgumentException.class);
    }
}
