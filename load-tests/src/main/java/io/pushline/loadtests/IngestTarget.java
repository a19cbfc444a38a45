package io.pushline.loadtests;

import io.pushline.ingest.IngestServer;
import io.pushline.loadtests.IngestScenario.Client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static io.pushline.loadtests.IngestScenario.REQUEST_TIMEOUT;

/** Where and how to POST; {@link #close()} closes its kept-alive connections. */
record IngestTarget(Client client, HttpClient http, Http1Connections sockets, URI uri, String token) implements AutoCloseable {
    static IngestTarget of(Client client, int port, String token) {
        URI uri = URI.create("http://127.0.0.1:" + port + IngestServer.PATH);
        if (client == Client.JDK) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            return new IngestTarget(client, http, null, uri, token);
        }
        return new IngestTarget(client, null, new Http1Connections(new InetSocketAddress("127.0.0.1", port), IngestServer.PATH, REQUEST_TIMEOUT),
                uri, token);
    }

    /** Status and Retry-After of one POST. */
    Http1Connections.Answer post(byte[] body, boolean batch) throws IOException, InterruptedException {
        String contentType = batch ? IngestServer.BATCH : IngestServer.SINGLE;
        if (sockets != null) {
            return sockets.post(token, contentType, body);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
        return new Http1Connections.Answer(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null));
    }

    @Override
    public void close() {
        if (sockets != null) {
            sockets.close();
        }
    }
}
