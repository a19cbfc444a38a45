package io.pushline.push;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Payload size limits, checked before anything is sent. */
final class Payloads {

    /** APNs' limit for a (non-VoIP) notification payload, and FCM's for a message's notification plus data. */
    static final int MAX_PAYLOAD_BYTES = 4096;

    private Payloads() {
    }

    static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    static PushOutcome.Rejected tooLarge(int bytes) {
        return new PushOutcome.Rejected("payload too large: " + bytes + " bytes > " + MAX_PAYLOAD_BYTES, false, null);
    }

    /**
     * The size FCM counts against its limit: the message's {@code notification} and {@code data}
     * as JSON, push id included.
     */
    static int fcmPayloadBytes(PushRequest request) {
        StringBuilder json = new StringBuilder(256).append('{');
        if (request.pushType() == PushType.ALERT && (request.title() != null || request.body() != null)) {
            json.append("\"notification\":{");
            boolean first = true;
            if (request.title() != null) {
                appendString(json.append("\"title\":"), request.title());
                first = false;
            }
            if (request.body() != null) {
                appendString(json.append(first ? "" : ",").append("\"body\":"), request.body());
            }
            json.append("},");
        }
        if (request.pushType() == PushType.ALERT && (request.sound() != null || request.badge() != null)) {
            json.append("\"android\":{\"notification\":{");
            if (request.sound() != null) {
                appendString(json.append("\"sound\":"), request.sound());
            }
            if (request.badge() != null) {
                json.append(request.sound() != null ? "," : "").append("\"notification_count\":").append(request.badge());
            }
            json.append("}},");
        }
        json.append("\"data\":{");
        Map<String, String> data = new TreeMap<>(request.data());
        data.put(PushRequest.PUSH_ID_DATA_KEY, request.pushId());
        boolean first = true;
        for (Map.Entry<String, String> entry : data.entrySet()) {
            if (!first) {
                json.append(',');
            }
            appendString(json, entry.getKey()).append(':');
            appendString(json, entry.getValue());
            first = false;
        }
        json.append("}}");
        return utf8Length(json.toString());
    }

    private static StringBuilder appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
