package io.pushline.loadtests;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The bench's lean HTTP/1.1 client: keep-alive connections over plain blocking sockets ({@code TCP_NODELAY}), one
 * request written in one {@code write}, answers read by {@code Content-Length}. It exists because
 * {@code java.net.http.HttpClient} was the bottleneck of the ingest bench: against a trivial endpoint that answers 202
 * at once, 32 threads sharing one {@code HttpClient} reached about 1,200 requests/s on this 2-core machine, whatever the
 * server, while these sockets reached 11,000.
 *
 * <p>Only what the bench needs: {@code POST} with a body, answers with a {@code Content-Length} (the ingest always
 * sends one); anything else is an {@link IOException}. A connection is borrowed for one request and given back if the
 * answer left it reusable ({@code Connection: close} or a failure closes it). Thread-safe; {@link #close()} closes the
 * idle connections, and a connection given back after it is closed.
 */
final class Http1Connections implements AutoCloseable {
    /** An answer: its status and its {@code Retry-After}, if any. */
    record Answer(int status, String retryAfter) {
    }

    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final InetSocketAddress address;
    private final String path;
    private final int timeoutMillis;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    Http1Connections(InetSocketAddress address, String path, Duration timeout) {
        this.address = address;
        this.path = path;
        this.timeoutMillis = (int) timeout.toMillis();
    }

    /**
     * POSTs {@code body}; throws {@link SocketTimeoutException} if no byte of the answer came within the timeout, another
     * {@link IOException} if the connection failed (a kept-alive connection the server had closed included).
     */
    Answer post(String token, String contentType, byte[] body) throws IOException {
        Connection c = idle.pollFirst();
        if (c == null) {
            c = new Connection();
        }
        boolean reusable = false;
        try {
            byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                    + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[head.length + body.length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(body, 0, request, head.length, body.length);
            c.out.write(request);
            c.out.flush();
            Answer answer = c.readAnswer();
            reusable = c.keepAlive;
            return answer;
        } finally {
            if (reusable && !closed) {
                idle.addFirst(c);
            } else {
                c.close();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            c.close();
        }
    }

    private final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        boolean keepAlive;

        Connection() throws IOException {
            socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(address, timeoutMillis);
                socket.setSoTimeout(timeoutMillis);
                in = new BufferedInputStream(socket.getInputStream(), 8192);
                out = socket.getOutputStream();
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        Answer readAnswer() throws IOException {
            String status = line();
            if (status == null) {
                throw new EOFException("the server closed the connection before answering");
            }
            if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
                throw new IOException("not an HTTP/1.1 status line");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            String retryAfter = null;
            keepAlive = true;
            String header;
            while (!(header = headerLine()).isEmpty()) {
                int colon = header.indexOf(':');
                if (colon < 0) {
                    throw new IOException("malformed header line");
                }
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "retry-after" -> retryAfter = value;
                    case "connection" -> keepAlive &= !value.equalsIgnoreCase("close");
                    case "transfer-encoding" -> throw new IOException("chunked answers are not supported by the bench client");
                    default -> {
                    }
                }
            }
            if (length < 0) {
                throw new IOException("an answer without Content-Length");
            }
            in.skipNBytes(length);   // EOFException if cut short
            return new Answer(code, retryAfter);
        }

        private String headerLine() throws IOException {
            String line = line();
            if (line == null) {
                throw new EOFException("the answer's headers were cut short");
            }
            return line;
        }

        /** A line without its CRLF; null at the end of the stream before any byte. */
        private String line() throws IOException {
            StringBuilder b = new StringBuilder(64);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    if (b.length() == 0) {
                        return null;
                    }
                    throw new EOFException("the answer's headers were cut short");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
                if (b.length() > MAX_HEADER_BYTES) {
                    throw new IOException("header line too long");
                }
            }
            return b.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing was in flight on it
            }
        }
    }
}
