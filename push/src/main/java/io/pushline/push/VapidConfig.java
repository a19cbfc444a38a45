package io.pushline.push;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Web push VAPID key sets read from JSON (a file, or an environment variable holding the same text), one set for every
 * app and/or one per {@code appId}:
 * <pre>{@code
 * {
 *   "default": {"subject": "mailto:ops@example.com", "publicKey": "BOr...", "privateKey": "kx3..."},
 *   "apps": {
 *     "web.example": {"subject": "https://example.com/contact", "publicKey": "BHc...", "privateKey": "Q9w..."}
 *   }
 * }
 * }</pre>
 * The keys are base64url, as {@code npx web-push generate-vapid-keys --json} prints them. Every problem is an
 * {@link IllegalArgumentException} whose message names where it is ({@code origin}, the app, the field) and never
 * quotes a value: a key must not reach a log through an error.
 */
public final class VapidConfig {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Set<String> TOP = Set.of("default", "apps");
    private static final List<String> FIELDS = List.of("subject", "publicKey", "privateKey");

    /** One set of VAPID keys; {@link #toString()} shows the subject only. */
    public record KeySet(String subject, String publicKey, String privateKey) {
        @Override
        public String toString() {
            return "KeySet[subject=" + subject + ", keys=<redacted>]";
        }
    }

    private final KeySet defaults;
    private final Map<String, KeySet> apps;

    private VapidConfig(KeySet defaults, Map<String, KeySet> apps) {
        this.defaults = defaults;
        this.apps = apps;
    }

    /** The default set, or null. */
    public KeySet defaults() {
        return defaults;
    }

    /** The per-app sets, in the file's order. */
    public Map<String, KeySet> apps() {
        return apps;
    }

    /**
     * Reads the key sets from {@code json}; {@code origin} names where the text came from in error messages (an
     * option or an environment variable). At least one set is required.
     */
    public static VapidConfig parse(String json, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            // Jackson's own message may quote the text around the error, which may be a key: never show it.
            throw new IllegalArgumentException(origin + ": not valid JSON" + (at == null ? ""
                    : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(origin + ": must be a JSON object with \"default\" and/or \"apps\"");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!TOP.contains(name)) {
                throw new IllegalArgumentException(origin + ": unknown field '" + shown(name) + "' (fields: default, apps)");
            }
        }
        KeySet defaults = root.has("default") ? keySet(root.get("default"), origin + ": default") : null;
        Map<String, KeySet> apps = new LinkedHashMap<>();
        JsonNode appsNode = root.get("apps");
        if (appsNode != null) {
            if (!appsNode.isObject()) {
                throw new IllegalArgumentException(origin + ": \"apps\" must be an object of appId to key set");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = appsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> app = it.next();
                if (app.getKey().isBlank()) {
                    throw new IllegalArgumentException(origin + ": an app id is blank");
                }
                apps.put(app.getKey(), keySet(app.getValue(), origin + ": app " + shown(app.getKey())));
            }
        }
        if (defaults == null && apps.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no VAPID keys (give \"default\" and/or \"apps\")");
        }
        return new VapidConfig(defaults, Map.copyOf(apps));
    }

    /** Gives each set to {@code builder} (which validates the keys, naming the app); returns it. */
    public WebPushProvider.Builder applyTo(WebPushProvider.Builder builder) {
        if (defaults != null) {
            builder.vapid(null, defaults.subject(), defaults.publicKey(), defaults.privateKey());
        }
        apps.forEach((appId, set) -> builder.vapid(appId, set.subject(), set.publicKey(), set.privateKey()));
        return builder;
    }

    private static KeySet keySet(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": must be an object with subject, publicKey and privateKey");
        }
        List<String> values = new ArrayList<>();
        for (String field : FIELDS) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual() || value.asText().isBlank()) {
                throw new IllegalArgumentException(where + ": \"" + field + "\" must be a non-empty string");
            }
            values.add(value.asText().trim());
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown field '" + shown(name) + "' (fields: " + String.join(", ", FIELDS) + ")");
            }
        }
        return new KeySet(values.get(0), values.get(1), values.get(2));
    }

    /** A name from the file as shown in an error: cut, control characters replaced. */
    private static String shown(String name) {
        String cut = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
