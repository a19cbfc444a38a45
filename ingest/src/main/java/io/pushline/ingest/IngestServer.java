package io.pushline.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * HTTP ingest for services without a Kafka client: {@code POST /v1/events} with one CloudEvent in binary mode (its
 * attributes as {@code ce-*} headers, percent-decoded as the CloudEvents HTTP binding says, and its JSON data as the body,
 * {@code Content-Type: application/json}), one in structured mode ({@code application/cloudevents+json}) or a batch
 * ({@code application/cloudevents-batch+json}), written to {@code pushline.events} in Kafka binary mode exactly as the
 * Java publisher writes it. A binary-mode event is judged and written exactly as the same event in structured mode.
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
 * <p>Answers, all JSON with {@code Cache-Control: no-store}: 202 with each event {@code accepted} or {@code duplicate};
 * 400 {@code invalid} and 403 {@code forbidden} listing each entry's problems; 401 (with {@code WWW-Authenticate}),
 * 404, 405, 408, 413, 415; 429 {@code rate_limited} or {@code saturated} and 503 with {@code Retry-After}. Each is
 * counted in {@link IngestMetrics}: requests by status, events by result, the time to answer.
 *
 * <p>Inside, the transport (this class, and a package-private handler per connection with its state machine and the
 * in-flight bounds) is apart from the publish path (authenticate, parse, authorise, rate-limit, deduplicate, produce,
 * map the acknowledgement to the answer), which has no transport type in its API.
 *
 * <p>Thread-safe. Lifecycle: {@link #start} binds and serves at once; {@link #close()} (once, from any thread) answers
 * new requests 503, lets requests in flight finish (at most the delivery timeout and a second), then closes the
 * socket, the threads and the producer, which it owns. The metrics registry stays the caller's.
 */
public final class IngestServer implements AutoCloseable {
    /** The one path served: {@code POST} events here. */
    public static final String PATH = "/v1/events";
    /** The content type of one event in structured mode. */
    public static final String SINGLE = "application/cloudevents+json";
    /** The content type of a batch: a JSON array of events in structured mode. */
    public static final String BATCH = "application/cloudevents-batch+json";
    /** Seconds a publisher is asked to wait when the broker failed or did not acknowledge in time. */
    static final long BROKER_RETRY_AFTER_SECONDS = IngestReply.BROKER_RETRY_AFTER_SECONDS;
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 8192;

    private final IngestConfig config;
    private final Producer<String, byte[]> producer;
    private final Admission admission;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final ThreadPoolExecutor handlers;
    private final Channel serverChannel;
    private volatile boolean closing;

    private IngestServer(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                         MeterRegistry registry, Clock clock, LongSupplier nanos) {
        this.config = config;
        this.producer = producer;
        this.admission = new Admission(config.maxInFlightRequests(), config.maxInFlightBytes());
        registry.gauge(IngestMetrics.INGEST_IN_FLIGHT_BYTES, admission, Admission::bytesInFlight);
        PublishPath path = new PublishPath(config, publishers, producer, registry, clock, nanos);
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
                                    new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 64 * 1024),
                                    new IngestConnection(config, path, admission, handlers, path.meters(), () -> closing));
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
     * {@code clientConfig} (bootstrap servers and security settings) by {@link #producerConfig}. Metrics go to
     * {@code registry} (see {@link IngestMetrics}); the caller owns the registry, the server owns everything else it
     * starts.
     *
     * @param publishers who may publish what, at which rate (their rate limiters' clock is the one they were read with)
     * @throws IllegalStateException naming the address if it cannot be bound (nothing is then left running)
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
    static IngestServer start(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                              MeterRegistry registry, Clock clock, LongSupplier nanos) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(publishers, "publishers");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(registry, "registry");
        return new IngestServer(address, config, publishers, producer, registry, clock, nanos);
    }

    /**
     * The ingest's producer settings over {@code clientConfig} (a new map; {@code client.id} {@code pushline-ingest}):
     * every acknowledged write is on all in-sync replicas, once (idempotent, {@code acks=all}); linger 5 ms, no
     * compression; the buffer is larger than the in-flight bound so a send never blocks a thread; the timeouts are
     * {@code config}'s. A baseline that writes the same records straight to Kafka uses these too.
     */
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
            while (admission.requestsInFlight() > 0 && System.nanoTime() < deadline) {
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
}
