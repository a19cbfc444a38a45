package io.pushline.coordinators;

import io.pushline.contracts.Platform;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.util.Properties;

/**
 * The real {@link Flows} outside a topology: over in-memory stores initialised with Kafka's own
 * {@link MockProcessorContext}, so the flows' steps can run in the engine as they do in the processor.
 */
final class TestFlows {
    final Facts facts;
    final Flows flows;

    private TestFlows(Facts facts, Flows flows) {
        this.facts = facts;
        this.flows = flows;
    }

    static TestFlows create(CoordinatorConfig config) {
        Properties props = new Properties();
        props.put("processing.exception.handler.global.enabled", "true"); // else every context logs a warning about it
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props);
        Facts facts = new Facts(store(context, Facts.STORE), store(context, Facts.DEVICES_STORE));
        return new TestFlows(facts, new Flows(facts, config));
    }

    static TestFlows create() {
        return create(CoordinatorConfig.defaults());
    }

    /** Only the declarations (for decoding journals): the steps are never run. */
    static Flows declarations() {
        return create().flows;
    }

    TestFlows device(String user, String token) {
        facts.putDevice(user + "|" + token, new Facts.Device(Platform.APNS, "io.pushline.app"));
        return this;
    }

    CoordinatorEngine engine(SupervisorPolicy policy) {
        return new CoordinatorEngine(flows::get, policy);
    }

    JournalCodec codec() {
        return new JournalCodec(flows::get);
    }

    private static KeyValueStore<String, byte[]> store(MockProcessorContext<Object, Object> context, String name) {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
