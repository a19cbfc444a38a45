package io.pushline.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * HTTP ingest for services without a Kafka client: {@code POST /v1/events} with one CloudEvent in structured mode
 * ({@code Content-Type: application/cloudevents+json}) or a batch ({@code application/cloudevents-batch+json}),
 * written to {@code pushline.events} in binary mode exactly as the Java publisher writes it.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li><b>202 means written</b>: only after the broker acknowledged every event of the request (idempotent producer,
 *       {@code acks=all}). A 503 claims nothing: the publisher retries with the same ids, and deduplication makes that
 *       safe.</li>
 *   <li><b>A batch is all or nothing as far as validation goes</b>: one invalid or forbidden entry and none is
 *       produced. A broker failure midway can leave part of a batch written; the 503 asks for the whole batch again, and
 *       the part already acknowledged is then answered as duplicates.</li>
 *   <li><b>Bounded memory</b>: bodies over the limits are refused by their {@code Content-Length} before being read, and
 *       cut off while reading otherwise; the bytes and the number of requests in flight (read, produced, awaiting
 *       acknowledgement) are bounded, and a request beyond either bound is answered 429 with {@code Retry-After} before
 *       its body is read, so a slow broker slows publishers down. Handler threads and their queue are bounded; beyond
 *       them, 503.</li>
 *   <li><b>No thread waits for the broker</b>: the answer is written from the producer's acknowledgement, so a request
 *       awaiting {@code acks=all} holds its bytes and its place among the requests in flight, never a thread. A client
 *       that sends its body too slowly (or never) is answered 408 and disconnected after the read timeout, which frees
 *       what it held.</li>
 *   <li><b>Deduplication</b>: the same {@code source} + {@code id} within the window is produced once (see
 *       {@link DedupWindow}: per process).</li>
 *   <li><b>No secret leaves</b>: tokens are never logged, counted or echoed; an error body names fields, never values
 *       of the payload.</li>
 * </ul>
 *
 * <p>Transport: Netty HTTP/1.1 ({@code HttpServerCodec}), keep-alive, {@code TCP_NODELAY}, one write per answer. A
 * connection reads its next request only once the last is answered (so answers cannot overtake one another); a
 * refusal before the body is read keeps the connection if the body is small enough to be read and dropped, and closes
 * it otherwise.
 *
 * <p>Thread-safe. Owns its producer, threads and server socket: {@link #close()} stops accepting, lets requests in
 * flight finish (at most the delivery timeout), then flushes and closes the producer.
 */
public final class IngestServer implements AutoCloseable {
    public static final String PATH = "/v1/events";
    public static final String SINGLE = "application/cloudevents+json";
    public static final String BATCH = "application/cloudevents-batch+json";
    /** Seconds a publisher is asked to wait when the ingest is saturated (in flight, producer buffer, threads). */
    static final long SATURATED_RETRY_AFTER_SECONDS = 1;
    /** Seconds a publisher is asked to wait when the broker failed or did not acknowledge in time. */
    static final long BROKER_RETRY_AFTER_SECONDS = 5;
    private static final String REALM = "Bearer realm=\"pushline-ingest\"";
    private static final String UNKNOWN = "unknown";
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 8192;
    private static final Logger log = LoggerFactory.getLogger(IngestServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final IngestConfig config;
    private final Publishers publishers;
    private final Producer<String, byte[]> producer;
    private final MeterRegistry registry;
    private final StructuredEvents parser;
    private final CloudEventCodec codec;
    private final DedupWindow dedup;
    private final Semaphore inFlightBytes;
    /** Requests past their headers and not yet answered; {@link #close()} waits for them. */
    private final AtomicInteger inFlightRequests = new AtomicInteger();
    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final ThreadPoolExecutor handlers;
    private final Channel serverChannel;
    private volatile boolean closing;

    private IngestServer(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                         MeterRegistry registry, Clock clock, LongSupplier nanos) {
        this.config = config;
        this.publishers = publishers;
        this.producer = producer;
        this.registry = registry;
        this.codec = new CloudEventCodec();
        this.parser = new StructuredEvents(codec, clock);
        this.dedup = new DedupWindow(config.dedupWindow(), config.dedupMaxEntries(), nanos);
        this.inFlightBytes = new Semaphore(config.maxInFlightBytes());
        registry.gauge(IngestMetrics.INGEST_IN_FLIGHT_BYTES, inFlightBytes, s -> config.maxInFlightBytes() - s.availablePermits());
        registry.gauge(IngestMetrics.INGEST_DEDUP_ENTRIES, dedup, DedupWindow::size);
        for (String name : publishers.names()) {
            registry.counter(IngestMetrics.INGEST_EVENTS, "publisher", name, "result", "accepted");
        }
        BlockingQueue<Runnable> queue = config.queue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(config.queue());
        handlers = new ThreadPoolExecutor(config.threads(), config.threads(), 0, TimeUnit.MILLISECONDS, queue,
                new DefaultThreadFactory("pushline-ingest-handler", true), new ThreadPoolExecutor.AbortPolicy());
        acceptor = new NioEventLoopGroup(1, new DefaultThreadFactory("pushline-ingest-accept", true));
        io = new NioEventLoopGroup(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())),
                new DefaultThreadFactory("pushline-ingest-io", true));
        long idleMillis = 2 * config.readTimeout().toMillis();
        try {
            serverChannel = new ServerBootstrap().group(acceptor, io).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS),
                                    new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 64 * 1024), new Connection());
                        }
                    })
                    .bind(address).syncUninterruptibly().channel();
        } catch (RuntimeException e) {   // Netty rethrows the BindException unchecked
            shutDownThreads();
            throw new IllegalStateException("cannot serve the ingest on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage() + " (is the port in use? choose another with --ingest-address)", e);
        }
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free one) with an idempotent producer made from
     * {@code clientConfig} (bootstrap servers and security settings).
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    public static IngestServer start(InetSocketAddress address, IngestConfig config, Publishers publishers, Map<String, Object> clientConfig,
                              MeterRegistry registry) {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(clientConfig, config), new StringSerializer(),
                new ByteArraySerializer());
        try {
            return start(address, config, publishers, producer, registry, Clock.systemUTC(), System::nanoTime);
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /** As {@link #start(InetSocketAddress, IngestConfig, Publishers, Map, MeterRegistry)}, with the producer (which it then owns) and clocks given. */
    public static IngestServer start(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                              MeterRegistry registry, Clock clock, LongSupplier nanos) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(publishers, "publishers");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(registry, "registry");
        return new IngestServer(address, config, publishers, producer, registry, clock, nanos);
    }

    /** The producer settings: every acknowledged write is on all in-sync replicas, once; the buffer never blocks a send. */
    public static Map<String, Object> producerConfig(Map<String, Object> clientConfig, IngestConfig config) {
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "pushline-ingest");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // Above the in-flight byte bound, so that the bound (answered 429) is reached before the buffer would block a thread.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * config.maxInFlightBytes() + (1 << 20));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_EVENTS_MESSAGE_BYTES);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.maxBlock().toMillis());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        long delivery = config.deliveryTimeout().toMillis();
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, Math.min(30_000, delivery / 2)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery);
        return p;
    }

    /** The port it listens on. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Answers new requests 503, waits until the requests in flight are answered (at most the delivery timeout and a
     * second), then closes the socket, the threads and the producer.
     */
    @Override
    public void close() {
        closing = true;
        long deadline = System.nanoTime() + config.deliveryTimeout().plusSeconds(1).toNanos();
        try {
            while (inFlightRequests.get() > 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);   // poll interval of a bounded wait for the last answers
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        serverChannel.close().syncUninterruptibly();
        shutDownThreads();
        producer.close(Duration.ofSeconds(10));
    }

    private void shutDownThreads() {
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        handlers.shutdownNow();
    }

    // ---------------------------------------------------------------------------------------------
    // Answers

    /** An answer: its status, the publisher to count it for, extra headers and the JSON body. */
    private record Reply(int status, String publisher, Map<String, String> headers, ObjectNode body) {
        Reply with(String header, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(header, value);
            return new Reply(status, publisher, h, body);
        }
    }

    private static Reply error(String name, int status, String error, String message) {
        return new Reply(status, name, Map.of(), JSON.createObjectNode().put("error", error).put("message", message));
    }

    private Reply saturated(String name, String message) {
        return error(name, 429, "saturated", message).with("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
    }

    private Reply tooLarge(String name, String message) {
        return error(name, 413, "too_large", message + " (single events: " + config.maxEventBytes() + " bytes; batches: "
                + config.maxBatchBytes() + " bytes and " + config.maxBatchEvents() + " events)");
    }

    private static Reply problems(String name, int status, String error, String message, List<StructuredEvents.Problem> problems) {
        ObjectNode body = JSON.createObjectNode().put("error", error).put("message", message);
        ArrayNode list = body.putArray("errors");
        for (StructuredEvents.Problem p : problems) {
            ObjectNode o = list.addObject();
            if (p.index() >= 0) {
                o.put("index", p.index());
            }
            o.put("field", p.field()).put("reason", p.reason());
        }
        return new Reply(status, name, Map.of(), body);
    }

    // ---------------------------------------------------------------------------------------------
    // Requests

    /** A request past its headers: who sent it, what it reserved, and its body so far. Its answer is given once. */
    private final class Request {
        final long started;
        final Publishers.Publisher publisher;
        final boolean batch;
        final int limit;
        final boolean keepAlive;
        final ByteArrayOutputStream body;
        int reserved;
        private final AtomicBoolean released = new AtomicBoolean();

        Request(long started, Publishers.Publisher publisher, boolean batch, int limit, int reserved, boolean keepAlive) {
            this.started = started;
            this.publisher = publisher;
            this.batch = batch;
            this.limit = limit;
            this.reserved = reserved;
            this.keepAlive = keepAlive;
            this.body = new ByteArrayOutputStream(Math.min(reserved, 64 * 1024));
        }

        /** Gives back its bytes and its place among the requests in flight; true the first time only. */
        boolean release() {
            if (!released.compareAndSet(false, true)) {
                return false;
            }
            inFlightBytes.release(reserved);
            inFlightRequests.decrementAndGet();
            return true;
        }
    }

    /**
     * One connection's state machine, confined to its event loop: {@code IDLE} (between requests), {@code READING} (a
     * request accepted by its headers, its body arriving), {@code DISCARDING} (answered before its body was read; the
     * rest of the body is read and dropped), {@code WAITING} (the body is being handled or awaits the broker; the
     * connection reads nothing more until the answer is written).
     */
    private enum State {
        IDLE, READING, DISCARDING, WAITING;

        /** The legal moves; any other is a bug and fails loudly (the connection is then closed). */
        private static final Map<State, java.util.Set<State>> NEXT = Map.of(
                IDLE, java.util.EnumSet.of(READING, DISCARDING),
                READING, java.util.EnumSet.of(WAITING, DISCARDING),
                DISCARDING, java.util.EnumSet.of(IDLE),
                WAITING, java.util.EnumSet.of(IDLE));

        State to(State next) {
            if (!NEXT.get(this).contains(next)) {
                throw new IllegalStateException("ingest connection: illegal move " + this + " -> " + next);
            }
            return next;
        }
    }

    private final class Connection extends ChannelInboundHandlerAdapter {
        private State state = State.IDLE;
        private Request request;
        private long headStarted;
        private boolean closeAfterDiscard;
        private boolean pipelined;
        private ScheduledFuture<?> timer;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (state == State.WAITING) {
                    // A pipelined request: answers must keep their order, so the connection ends after the current one.
                    pipelined = true;
                    return;
                }
                if (msg instanceof HttpRequest head) {
                    onHead(ctx, head);
                }
                if (msg instanceof HttpContent content) {
                    onContent(ctx, content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onHead(ChannelHandlerContext ctx, HttpRequest head) {
            headStarted = System.nanoTime();
            if (head.decoderResult().isFailure()) {
                state = state.to(State.DISCARDING);
                closeAfterDiscard = true;
                write(ctx, error(UNKNOWN, 400, "bad_request", "malformed HTTP request"), headStarted, false)
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            long declared;
            try {
                declared = HttpUtil.getContentLength(head, -1L);
            } catch (NumberFormatException e) {
                state = state.to(State.DISCARDING);
                closeAfterDiscard = true;
                write(ctx, error(UNKNOWN, 400, "bad_request", "Content-Length is not a number"), headStarted, false)
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            boolean chunked = HttpUtil.isTransferEncodingChunked(head);
            boolean expectContinue = HttpUtil.is100ContinueExpected(head);
            boolean keepAlive = HttpUtil.isKeepAlive(head) && !closing;
            Object screened = screen(head, declared, chunked, keepAlive);
            if (screened instanceof Request accepted) {
                request = accepted;
                state = state.to(State.READING);
                startTimer(ctx);
                if (expectContinue) {
                    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
                }
                return;
            }
            // Refused before the body is read: a small body is read and dropped, keeping the connection; a large one,
            // a chunked one of unknown length, or one the client waits to send (100-continue), ends the connection.
            boolean keep = keepAlive && !expectContinue && !chunked && declared <= config.maxBatchBytes();
            state = state.to(State.DISCARDING);
            closeAfterDiscard = !keep;
            ChannelFuture written = write(ctx, (Reply) screened, headStarted, keep);
            if (expectContinue || declared > config.maxBatchBytes()) {
                written.addListener(ChannelFutureListener.CLOSE);
            } else {
                startTimer(ctx);
            }
        }

        private void onContent(ChannelHandlerContext ctx, HttpContent content) {
            if (content.decoderResult().isFailure()) {
                ctx.close();   // a broken chunked body: nothing of it is produced (channelInactive frees what it held)
                return;
            }
            boolean last = content instanceof LastHttpContent;
            if (state == State.READING) {
                ByteBuf bytes = content.content();
                Request r = request;
                if (r.body.size() + bytes.readableBytes() > r.limit) {
                    r.release();
                    request = null;
                    state = state.to(State.DISCARDING);
                    closeAfterDiscard = true;
                    write(ctx, tooLarge(r.publisher.name(), "the body exceeds the limit of " + r.limit + " bytes"), r.started, false);
                } else {
                    byte[] chunk = new byte[bytes.readableBytes()];
                    bytes.readBytes(chunk);
                    r.body.write(chunk, 0, chunk.length);
                    if (last) {
                        cancelTimer();
                        state = state.to(State.WAITING);
                        ctx.channel().config().setAutoRead(false);
                        dispatch(ctx, r);
                        return;
                    }
                }
            }
            if (last && state == State.DISCARDING) {
                cancelTimer();
                state = state.to(State.IDLE);
                if (closeAfterDiscard) {
                    ctx.close();
                }
            }
        }

        private void startTimer(ChannelHandlerContext ctx) {
            cancelTimer();
            timer = ctx.executor().schedule(() -> timedOut(ctx), config.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        /** The body did not arrive within the read timeout: answer 408 if nothing was answered yet, and disconnect. */
        private void timedOut(ChannelHandlerContext ctx) {
            timer = null;
            if (state == State.READING) {
                Request r = request;
                request = null;
                r.release();
                log.debug("ingest: a request of publisher {} did not send its body within {}; answered 408", r.publisher.name(),
                        config.readTimeout());
                state = state.to(State.DISCARDING);
                write(ctx, error(r.publisher.name(), 408, "timeout", "the body did not arrive within " + config.readTimeout()
                        + "; send it at once"), r.started, false).addListener(ChannelFutureListener.CLOSE);
            } else if (state == State.DISCARDING) {
                ctx.close();
            }
        }

        /** Hands the body to a handler thread; the answer comes back to this connection's event loop. */
        private void dispatch(ChannelHandlerContext ctx, Request r) {
            if (r.body.size() < r.reserved) {
                inFlightBytes.release(r.reserved - r.body.size());
                r.reserved = r.body.size();
            }
            Consumer<Reply> answer = reply -> {
                if (r.release()) {
                    ctx.executor().execute(() -> answered(ctx, r, reply));
                }
            };
            try {
                handlers.execute(() -> {
                    try {
                        publish(r.publisher, r.batch, r.body.toByteArray(), answer);
                    } catch (RuntimeException e) {
                        log.warn("ingest request failed: {}", e.getClass().getName());
                        log.debug("ingest request failure", e);
                        answer.accept(error(r.publisher.name(), 500, "internal", "the request could not be handled; nothing was "
                                + "published"));
                    }
                });
            } catch (RejectedExecutionException e) {
                answer.accept(error(r.publisher.name(), 503, "overloaded", closing ? "the ingest is shutting down; retry later"
                        : "too many requests in progress; retry later").with("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS)));
            }
        }

        private void answered(ChannelHandlerContext ctx, Request r, Reply reply) {
            request = null;
            state = state.to(State.IDLE);
            boolean keep = r.keepAlive && !pipelined && !closing;
            ChannelFuture written = write(ctx, reply, r.started, keep);
            if (keep) {
                ctx.channel().config().setAutoRead(true);
            } else {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                if (state == State.IDLE) {
                    ctx.close();   // a kept-alive connection unused for twice the read timeout
                }
                return;
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            cancelTimer();
            if (state == State.READING && request != null) {
                request.release();   // the client went away mid-body: nothing was produced
                request = null;
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // The client went away or sent garbage: nothing is claimed accepted. Never log the request itself.
            log.debug("ingest connection failed: {}", cause.getClass().getName());
            ctx.close();
        }
    }

    /**
     * What a request's headers allow: a {@link Request} (its bytes and place reserved) to read the body of, or the
     * {@link Reply} refusing it.
     */
    private Object screen(HttpRequest head, long declared, boolean chunked, boolean keepAlive) {
        if (closing) {
            return error(UNKNOWN, 503, "overloaded", "the ingest is shutting down; retry later")
                    .with("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
        }
        String path = new QueryStringDecoder(head.uri()).path();
        if (!path.equals(PATH)) {
            return error(UNKNOWN, 404, "not_found", "not found: POST events to " + PATH);
        }
        if (!head.method().equals(HttpMethod.POST)) {
            return error(UNKNOWN, 405, "method_not_allowed", "use POST").with("Allow", "POST");
        }
        String authorization = head.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null || authorization.isBlank()) {
            return error(UNKNOWN, 401, "unauthorized", "give the publisher's token: Authorization: Bearer TOKEN")
                    .with("WWW-Authenticate", REALM);
        }
        Optional<Publishers.Publisher> who = Optional.empty();
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            who = publishers.authenticate(authorization.substring(7).trim());
        }
        if (who.isEmpty()) {
            return error(UNKNOWN, 401, "unauthorized", "the bearer token is not a publisher's")
                    .with("WWW-Authenticate", REALM + ", error=\"invalid_token\"");
        }
        Publishers.Publisher publisher = who.get();
        String name = publisher.name();
        Boolean batch = batchMode(head.headers().get(HttpHeaderNames.CONTENT_TYPE));
        if (batch == null) {
            return error(name, 415, "unsupported_media_type", "Content-Type must be " + SINGLE + " (one event) or " + BATCH
                    + " (a JSON array of events), in UTF-8").with("Accept-Post", SINGLE + ", " + BATCH);
        }
        int limit = batch ? config.maxBatchBytes() : config.maxEventBytes();
        if (declared > limit) {
            return tooLarge(name, declared + " bytes exceeds the limit of " + limit + " bytes");
        }
        int reserved = declared >= 0 ? (int) declared : chunked ? limit : 0;
        if (inFlightRequests.incrementAndGet() > config.maxInFlightRequests()) {
            inFlightRequests.decrementAndGet();
            count(name, "saturated", 1);
            return saturated(name, "too many requests awaiting the broker; retry later");
        }
        if (!inFlightBytes.tryAcquire(reserved)) {
            inFlightRequests.decrementAndGet();
            count(name, "saturated", 1);
            return saturated(name, "the ingest is writing as fast as the broker acknowledges; retry later");
        }
        return new Request(System.nanoTime(), publisher, batch, limit, reserved, keepAlive);
    }

    /** Parses, checks and produces a body, on a handler thread; {@code answer} is called once, from any thread. */
    private void publish(Publishers.Publisher publisher, boolean batch, byte[] body, Consumer<Reply> answer) {
        String name = publisher.name();
        StructuredEvents.Result parsed = batch ? parser.batch(body, config.maxBatchEvents()) : parser.single(body);
        if (parsed instanceof StructuredEvents.Result.TooManyEvents tooMany) {
            answer.accept(tooLarge(name, tooMany.count() + " events in one batch exceeds the limit of " + tooMany.max()));
            return;
        }
        if (parsed instanceof StructuredEvents.Result.Invalid invalid) {
            long entries = invalid.problems().stream().mapToInt(StructuredEvents.Problem::index).distinct().count();
            count(name, "invalid", (int) entries);
            answer.accept(problems(name, 400, "invalid", batch
                    ? entries + " of the batch's events are invalid; none was published"
                    : "the event is invalid; it was not published", invalid.problems()));
            return;
        }
        List<Envelope<?>> events = ((StructuredEvents.Result.Ok) parsed).events();
        List<StructuredEvents.Problem> refusals = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Envelope<?> e = events.get(i);
            String refusal = publisher.refusal(e.type(), e.source().toString());
            if (refusal != null) {
                refusals.add(new StructuredEvents.Problem(batch ? i : -1, refusal.contains("source") ? "source" : "type", refusal));
            }
        }
        if (!refusals.isEmpty()) {
            count(name, "forbidden", refusals.size());
            answer.accept(problems(name, 403, "forbidden", batch
                    ? refusals.size() + " of the batch's events may not be published by '" + name + "'; none was published"
                    : "'" + name + "' may not publish this event", refusals));
            return;
        }
        Publishers.TokenBucket limit = publisher.limit();
        long wait = limit == null ? 0 : limit.tryAcquire(events.size());
        if (wait > 0) {
            count(name, "rate_limited", events.size());
            answer.accept(error(name, 429, "rate_limited", "publisher '" + name + "' is over its rate limit; retry after " + wait + " s")
                    .with("Retry-After", Long.toString(wait)));
            return;
        }
        produce(name, batch, events, answer);
    }

    /** Produces the events not seen within the dedup window; answers once the broker acknowledged (or failed) them all. */
    private void produce(String name, boolean batch, List<Envelope<?>> events, Consumer<Reply> answer) {
        List<DedupWindow.Claim> claims = new ArrayList<>(events.size());
        for (Envelope<?> event : events) {
            DedupWindow.Claim claim = dedup.claim(event.source().toString(), event.id());
            claims.add(claim);
            if (claim.first()) {
                send(event, claim.outcome());
            }
        }
        CompletableFuture.allOf(claims.stream().map(DedupWindow.Claim::outcome).toArray(CompletableFuture[]::new))
                .orTimeout(config.deliveryTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)
                .whenComplete((ok, failure) -> answer.accept(acknowledged(name, batch, events, claims, failure)));
    }

    private Reply acknowledged(String name, boolean batch, List<Envelope<?>> events, List<DedupWindow.Claim> claims, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            boolean saturated = claims.stream().anyMatch(c -> causeOf(c.outcome()) instanceof BufferExhaustedException);
            if (saturated) {
                count(name, "saturated", events.size());
                return saturated(name, "the producer's buffer is full; retry later");
            }
            count(name, "failed", events.size());
            log.warn("ingest: the broker did not acknowledge {} event(s) of publisher {} ({}); answered 503", events.size(), name,
                    cause.getClass().getSimpleName());
            return error(name, 503, "unavailable", "the broker did not acknowledge the write; nothing is claimed accepted: retry "
                    + "with the same ids").with("Retry-After", Long.toString(BROKER_RETRY_AFTER_SECONDS));
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("events");
        int accepted = 0;
        for (int i = 0; i < events.size(); i++) {
            boolean first = claims.get(i).first();
            accepted += first ? 1 : 0;
            ObjectNode e = list.addObject();
            if (batch) {
                e.put("index", i);
            }
            e.put("id", events.get(i).id()).put("source", events.get(i).source().toString()).put("status", first ? "accepted" : "duplicate");
        }
        body.put("accepted", accepted).put("duplicates", events.size() - accepted);
        count(name, "accepted", accepted);
        count(name, "duplicate", events.size() - accepted);
        return new Reply(202, name, Map.of(), body);
    }

    /** Produces {@code event}, completing {@code outcome} when the broker acknowledged it or the send failed. */
    private void send(Envelope<?> event, CompletableFuture<Void> outcome) {
        try {
            ProducerRecord<String, byte[]> record = codec.toRecord(config.topic(), event);
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    outcome.complete(null);
                } else {
                    outcome.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            outcome.completeExceptionally(e);
        }
    }

    /** Writes {@code reply} in one write and counts it; the caller closes the connection if {@code keepAlive} is false. */
    private ChannelFuture write(ChannelHandlerContext ctx, Reply reply, long started, boolean keepAlive) {
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(reply.body()) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an ingest answer", e);   // a tree of strings and numbers always writes
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        reply.headers().forEach((k, v) -> response.headers().set(k, v));
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        String status = Integer.toString(reply.status());
        registry.counter(IngestMetrics.INGEST_REQUESTS, "publisher", reply.publisher(), "status", status).increment();
        Timer.builder(IngestMetrics.INGEST_DURATION).tags("publisher", reply.publisher(), "status", status)
                .register(registry).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        return ctx.writeAndFlush(response);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** True for a batch, false for one event, null for any other content type. */
    static Boolean batchMode(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].trim().toLowerCase(Locale.ROOT);
            if (param.startsWith("charset=") && !param.substring(8).replace("\"", "").equals("utf-8")) {
                return null;
            }
        }
        return switch (media) {
            case SINGLE -> false;
            case BATCH -> true;
            default -> null;
        };
    }

    /** Why {@code outcome} failed; null if it has not (yet). */
    private static Throwable causeOf(CompletableFuture<Void> outcome) {
        if (!outcome.isCompletedExceptionally()) {
            return null;
        }
        try {
            outcome.getNow(null);
            return null;
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    private void count(String publisher, String result, int n) {
        if (n > 0) {
            registry.counter(IngestMetrics.INGEST_EVENTS, "publisher", publisher, "result", result).increment(n);
        }
    }
}
