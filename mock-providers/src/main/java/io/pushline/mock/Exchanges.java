package io.pushline.mock;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reading and answering the JDK {@code HttpServer}'s exchanges, as the HTTP mocks ({@link FakeFcm}, {@link MockWebPush}) do. */
final class Exchanges {
    private Exchanges() {
    }

    /** The request body, or null if it is longer than {@code maxBytes} (the rest is then read and dropped). */
    static byte[] readAtMost(HttpExchange exchange, int maxBytes) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) {
                in.transferTo(OutputStream.nullOutputStream());
                return null;
            }
            return body;
        }
    }

    /** Reads and drops the request body. */
    static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** Answers {@code status} with {@code body} (none if empty) of {@code contentType}, and {@code Retry-After} if given. */
    static void respond(HttpExchange exchange, int status, String contentType, String body, Duration retryAfter) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (retryAfter != null) {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(retryAfter.toSeconds()));
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
