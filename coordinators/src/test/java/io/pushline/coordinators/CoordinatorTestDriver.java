package io.pushline.coordinators;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coordinators' topology on Kafka's TopologyTestDriver, for tests that restart it: the clock is the driver's wall
 * clock ({@link #tick}, {@link #jump}), and {@link #restart} opens a new driver over in-memory stores that start with
 * what the old one's held when it closed, as a task restored from its changelogs does ({@code TopologyTestDriver.close}
 * wipes its state directory, so a new driver on the same directory would start empty).
 */
final class CoordinatorTestDriver implements AutoCloseable {
    static final Duration TICK = Duration.ofMillis(50);

    private final CloudEventCodec codec = new CloudEventCodec();
    private final Path stateDir;
    private final String applicationId;
    private final List<String> outputNames;
    private final List<String> storeNames;
    /** What each store starts with when a driver opens: empty, or what the last driver's held ({@link #restart}). */
    private final Map<String, Map<Bytes, byte[]>> restored = new HashMap<>();
    private final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
    private final Map<String, TestOutputTopic<byte[], byte[]>> outputs = new LinkedHashMap<>();
    private TopologyTestDriver driver;
    private Instant start;
    private Duration elapsed = Duration.ZERO;

    /**
     * @param outputs the topics {@link #drain} reads
     * @param stores  the key-value stores a {@link #restart} carries over
     */
    CoordinatorTestDriver(Path stateDir, String applicationId, Instant start, List<String> outputs, List<String> stores) {
        this.stateDir = stateDir;
        this.applicationId = applicationId;
        this.start = start;
        this.outputNames = List.copyOf(outputs);
        this.storeNames = List.copyOf(stores);
    }

    /** Opens a driver at {@link #now()} on {@code config}. */
    void open(CoordinatorConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(CoordinatorTopology.build(config, this::store), props, now());
        inputs.clear();
        outputs.clear();
        ByteArrayDeserializer in = new ByteArrayDeserializer();
        for (String topic : outputNames) {
            outputs.put(topic, driver.createOutputTopic(topic, in, in));
        }
    }

    /**
     * Closes the driver and opens a new one at the same wall clock, whose stores start with what the old one's held when
     * it closed (all committed: the driver commits after every record and wake-up), as after a crash and a restore.
     */
    void restart(CoordinatorConfig config) {
        restored.clear();
        for (String name : storeNames) {
            Map<Bytes, byte[]> entries = new LinkedHashMap<>();
            KeyValueStore<String, byte[]> store = driver.getKeyValueStore(name);
            try (KeyValueIterator<String, byte[]> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> e = it.next();
                    entries.put(Bytes.wrap(e.key.getBytes(StandardCharsets.UTF_8)), e.value);
                }
            }
            restored.put(name, entries);
        }
        driver.close();
        driver = null;
        open(config);
    }

    @Override
    public void close() {
        if (driver != null) {
            driver.close();
            driver = null;
        }
    }

    TopologyTestDriver driver() {
        return driver;
    }

    /** Where the clock starts (before {@link #open}): the driver's wall clock is this plus what has elapsed. */
    void startAt(Instant at) {
        this.start = at;
    }

    Instant now() {
        return start.plus(elapsed);
    }

    Duration elapsed() {
        return elapsed;
    }

    /** Advances the wall clock by {@code total}, one tick at a time (each may run the wake-up). */
    void tick(Duration total) {
        for (long done = 0; done < total.toMillis(); done += TICK.toMillis()) {
            driver.advanceWallClockTime(TICK);
            elapsed = elapsed.plus(TICK);
        }
    }

    /** Advances the wall clock by {@code total} at once: the wake-up runs once, at the end, if anything is due. */
    void jump(Duration total) {
        driver.advanceWallClockTime(total);
        elapsed = elapsed.plus(total);
    }

    /** The input topic {@code topic} of the open driver. */
    TestInputTopic<byte[], byte[]> input(String topic) {
        ByteArraySerializer out = new ByteArraySerializer();
        return inputs.computeIfAbsent(topic, t -> driver.createInputTopic(t, out, out));
    }

    /** {@code envelope} as a binary-mode CloudEvent on {@code topic}, keyed {@code key}, at the envelope's time. */
    void publish(String topic, String key, Envelope<?> envelope) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(envelope, headers);
        input(topic).pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, headers, envelope.time()));
    }

    /** {@code user}'s APNs devices, registered as the device registry writes them, {@code at}; drains what they caused. */
    void registerDevices(String user, List<String> tokens, Instant at) {
        for (String token : tokens) {
            publish(Topics.STATE_DEVICES, user + "|" + token, Envelope.of("dev-" + token, URI.create("urn:pushline:service:devices"),
                    at, new DeviceRegistered(user, token, Platform.APNS, "io.pushline.app", at)));
        }
        drain();
    }

    /** A like of {@code owner}'s {@code post} by {@code actor}, now, with event id {@code eventId} from {@code source}. */
    void like(URI source, String eventId, String actor, String post, String owner) {
        publish(Topics.EVENTS, owner, Envelope.of(eventId, source, now(), new LikeCreated(actor, post, owner)));
    }

    /** Its removal. */
    void unlike(URI source, String eventId, String actor, String post, String owner) {
        publish(Topics.EVENTS, owner, Envelope.of(eventId, source, now(), new LikeRemoved(actor, post, owner)));
    }

    /** What each output topic got since the last drain. */
    Map<String, List<TestRecord<byte[], byte[]>>> drain() {
        Map<String, List<TestRecord<byte[], byte[]>>> out = new LinkedHashMap<>();
        outputs.forEach((topic, t) -> out.put(topic, t.readRecordsToList()));
        return out;
    }

    Envelope<?> envelope(TestRecord<byte[], byte[]> record) {
        Decoded d = codec.decode(record.headers(), record.value());
        assertThat(d).as("decoded %s", d).isInstanceOf(Decoded.Ok.class);
        return ((Decoded.Ok) d).envelope();
    }

    @SuppressWarnings("unchecked")
    <T extends EventData> T data(TestRecord<byte[], byte[]> record) {
        return (T) envelope(record).data();
    }

    /** The coordinator {@code id}'s journal, folded; null if there is none. */
    Coordinator journal(String id) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(CoordinatorProcessor.JOURNAL_STORE);
        byte[] bytes = store.get(id);
        return bytes == null ? null : new JournalCodec(TestFlows.declarations()::get).decode(bytes);
    }

    /** An in-memory store that, once initialised, holds what {@link #restored} has for it (before any processor runs). */
    private KeyValueBytesStoreSupplier store(String name) {
        KeyValueBytesStoreSupplier inMemory = Stores.inMemoryKeyValueStore(name);
        Map<Bytes, byte[]> entries = Map.copyOf(restored.getOrDefault(name, Map.of()));
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            @SuppressWarnings("unchecked")
            public KeyValueStore<Bytes, byte[]> get() {
                KeyValueStore<Bytes, byte[]> store = inMemory.get();
                return (KeyValueStore<Bytes, byte[]>) Proxy.newProxyInstance(KeyValueStore.class.getClassLoader(),
                        new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                            try {
                                Object result = method.invoke(store, args);
                                if (method.getName().equals("init")) {
                                    entries.forEach(store::put);
                                }
                                return result;
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }

            @Override
            public String metricsScope() {
                return inMemory.metricsScope();
            }
        };
    }
}
