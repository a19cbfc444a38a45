package io.pushline.testkit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM-wide holder of the running broker. Starting is lazy and happens once per JVM (per broker kind: only the
 * test kit's own tests ask for two kinds in one JVM), unless the JUnit run that started a broker has ended and
 * stopped it. A JVM shutdown hook stops whatever is still running at exit.
 */
final class SharedBroker {

    /** What {@link #acquire} hands out: the broker, and whether this call started it (and so must stop it). */
    record Lease(RunningBroker broker, boolean started) {}

    private static final Object LOCK = new Object();
    private static final Map<BrokerMode, RunningBroker> running = new EnumMap<>(BrokerMode.class);
    private static final Map<BrokerMode, RuntimeException> startFailures = new EnumMap<>(BrokerMode.class);
    private static final Map<BrokerMode, Integer> starts = new EnumMap<>(BrokerMode.class);
    private static boolean shutdownHookInstalled;

    private SharedBroker() {}

    static Lease acquire(BrokerMode mode) {
        synchronized (LOCK) {
            RunningBroker broker = running.get(mode);
            if (broker != null) {
                return new Lease(broker, false);
            }
            // A broker that failed (or could not run here) once will not do better for the next test class:
            // fail or skip fast instead of waiting for another start timeout.
            RuntimeException failure = startFailures.get(mode);
            if (failure != null) {
                throw failure;
            }
            try {
                broker = mode.start();
            } catch (RuntimeException e) {
                startFailures.put(mode, e);
                throw e;
            }
            running.put(mode, broker);
            starts.merge(mode, 1, Integer::sum);
            installShutdownHook();
            return new Lease(broker, true);
        }
    }

    /** Stops {@code broker} if it is still running; a later {@link #acquire} starts a new one. */
    static void stop(RunningBroker broker) {
        synchronized (LOCK) {
            if (!running.remove(broker.mode(), broker)) {
                return;
            }
        }
        broker.close();
    }

    /** How many brokers of this kind the JVM has started; for tests of the sharing itself. */
    static int starts(BrokerMode mode) {
        synchronized (LOCK) {
            return starts.getOrDefault(mode, 0);
        }
    }

    private static void installShutdownHook() {
        if (shutdownHookInstalled) {
            return;
        }
        shutdownHookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<RunningBroker> brokers;
            synchronized (LOCK) {
                brokers = new ArrayList<>(running.values());
            }
            brokers.forEach(SharedBroker::stop);
        }, "pushline-testkit-broker-shutdown"));
    }
}
