package io.pushline.testkit;

/** A started broker as the test kit owns it: what tests see, plus the lifecycle they must not touch. */
interface RunningBroker extends KafkaBroker, AutoCloseable {

    BrokerMode mode();

    @Override
    default String kind() {
        return mode().kind();
    }

    /** Stops the broker and its admin client; never throws. */
    @Override
    void close();
}
